"""Container healthcheck for the evidence image: exit 0 when ``URL`` answers 2xx within 5 s.

python /app/docker/healthcheck.py http://localhost:4200/api/health
"""

from __future__ import annotations

import sys
import urllib.request


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: healthcheck.py URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(argv[1], timeout=5) as resp:
            return 0 if 200 <= resp.status < 300 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
