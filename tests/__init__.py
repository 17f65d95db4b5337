"""Test package. Helper modules that are also pytest plugins are registered for assertion rewriting
here, before any test module imports them by name (avoids PytestAssertRewriteWarning)."""

import pytest

pytest.register_assert_rewrite("tests.s3_server")
