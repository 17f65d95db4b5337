"""The production compose file, checked without a container engine: every service the docs name is
there with a healthcheck, the evidence services run the Dockerfile image, and the environment it
sets is exactly the settings the code reads (scanned from the source), and consistent with
``prefect.yaml`` and the webhook receiver."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
PRODUCT_PACKAGES = ("pipeline", "flows", "evidence", "extractors", "validators")
SETTING_RE = re.compile(r"""["'](EVIDENCE_[A-Z0-9_]+)["']""")
OTHER_PREFIXES = ("PREFECT_", "MINIO_", "POSTGRES_")
OTHER_ALLOWED = {"OMP_THREAD_LIMIT"}  # Tesseract: one thread per process (parallelism is per page)
#: Settings the code reads that the production shape deliberately leaves unset, and why.
NOT_IN_COMPOSE = {
    "EVIDENCE_STORE_PATH": "local folder store only; compose uses MinIO (EVIDENCE_STORE=s3)",
    "EVIDENCE_DB_BUSY_TIMEOUT_MS": "SQLite only; compose uses PostgreSQL",
    "EVIDENCE_DISPATCH_WORKERS": "EVIDENCE_DISPATCH=inprocess only; compose dispatches to deployments",
    "EVIDENCE_RAPIDOCR_THREADS": "optional RapidOCR engine, not installed in the image",
    "EVIDENCE_NEW_USER_PASSWORD": "input of the one-off `evidence users add`, never a service's setting",
}
EVIDENCE_IMAGE_SERVICES = {"prefect-server", "prefect-deploy", "worker", "webhook", "ui"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and isinstance(loaded.get("services"), dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): str(v) for k, v in env.items()}


def code_settings() -> set[str]:
    """``EVIDENCE_*`` names appearing as string literals in the product packages."""
    names: set[str] = set()
    for package in PRODUCT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            names.update(SETTING_RE.findall(path.read_text(encoding="utf-8")))
    return names


def dockerfile_env() -> dict[str, str]:
    """``ENV`` of the Dockerfile (``KEY=VALUE`` pairs, continuation lines joined)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            for key, value in re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", line):
                env[key] = value
    return env


def documented_services() -> set[str]:
    """Service names in the first column of docker/README.md's service table."""
    text = (ROOT / "docker" / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z][a-z0-9-]*)` \|", text, flags=re.MULTILINE))


def readme_compose_services(names: set[str]) -> set[str]:
    """Service names mentioned (as `name`) in the main README's compose section, if it has one."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^#+ ", text, flags=re.MULTILINE)
    mentioned: set[str] = set()
    for section in sections:
        heading = section.split("\n", 1)[0].lower()
        if "compose" in heading or "scale" in heading or "production" in heading:
            mentioned.update(re.findall(r"`([a-z][a-z0-9-]*)`", section))
    return {m for m in mentioned if m in names or m.replace("_", "-") in names}


def test_every_documented_service_is_there(services: dict[str, dict[str, Any]]) -> None:
    documented = documented_services()
    assert documented, "docker/README.md has no service table"
    assert documented == set(services), (
        f"missing in compose: {documented - set(services)}; undocumented: {set(services) - documented}"
    )
    for name in readme_compose_services(set(services)):
        assert name in services


def test_every_service_has_a_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert isinstance(check, dict) and not check.get("disable"), f"{name}: no healthcheck"
        test = check.get("test")
        assert test and test != ["NONE"], f"{name}: empty healthcheck"
        if isinstance(test, list):
            assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test must start with CMD"


def test_evidence_services_use_the_dockerfile_image(services: dict[str, dict[str, Any]]) -> None:
    images = set()
    for name in EVIDENCE_IMAGE_SERVICES:
        build = services[name].get("build")
        assert isinstance(build, dict), f"{name}: not built from the Dockerfile"
        assert build.get("dockerfile") == "Dockerfile" and build.get("context") == ".", name
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()
        images.add(services[name].get("image"))
    assert len(images) == 1, f"one image for all evidence services, got {images}"
    # every other service uses a pinned third-party image, not ours
    for name in set(services) - EVIDENCE_IMAGE_SERVICES:
        assert "build" not in services[name] and services[name].get("image"), name


def test_workers_poll_the_evidence_pool(services: dict[str, dict[str, Any]]) -> None:
    from flows.deployments import POOL, POOL_TYPE

    worker = services["worker"]
    cmd = [str(x) for x in worker.get("entrypoint") or []] + [str(x) for x in worker.get("command") or []]
    assert cmd[:3] == ["prefect", "worker", "start"], cmd
    assert cmd[cmd.index("--pool") + 1] == POOL
    assert cmd[cmd.index("--type") + 1] == POOL_TYPE
    assert "--with-healthcheck" in cmd  # the healthcheck's :8080/health
    assert "8080" in " ".join(worker["healthcheck"]["test"])
    assert int(worker["deploy"]["replicas"].split(":-")[-1].rstrip("}")) >= 2


def test_environment_is_exactly_the_settings_the_code_reads(services: dict[str, dict[str, Any]]) -> None:
    read = code_settings()
    assert {"EVIDENCE_STORE", "EVIDENCE_DB_URL", "EVIDENCE_WEBHOOK_TOKEN", "EVIDENCE_OCR_WORKERS"} <= read
    stale = set(NOT_IN_COMPOSE) - read
    assert not stale, f"exemptions for settings the code no longer reads: {stale}"
    set_by_deployment: set[str] = {k for k in dockerfile_env() if k.startswith("EVIDENCE_")}
    for name, service in services.items():
        for key in env_of(service):
            if key.startswith("EVIDENCE_"):
                set_by_deployment.add(key)
            else:
                assert key.startswith(OTHER_PREFIXES) or key in OTHER_ALLOWED, f"{name}: unexpected {key}"
    unknown = set_by_deployment - read
    assert not unknown, f"compose/Dockerfile set settings no code reads: {sorted(unknown)}"
    missing = read - set_by_deployment - set(NOT_IN_COMPOSE)
    assert not missing, f"settings the code reads that compose does not set: {sorted(missing)}"


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` → default, ``${VAR:?message}`` / ``${VAR}`` → a placeholder."""

    def sub(m: re.Match[str]) -> str:
        inner = m.group(1)
        if ":-" in inner:
            return inner.split(":-", 1)[1]
        return "placeholder"

    return re.sub(r"\$\{([^}]*)\}", sub, value)


def test_prefect_settings_exist(services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every PREFECT_* variable set is a canonical Prefect setting that Prefect accepts with that
    value (a typo or a legacy alias would be silently ignored or deprecated)."""
    from prefect.settings import Settings

    for name, service in services.items():
        env = {k: interpolate(v) for k, v in env_of(service).items() if k.startswith("PREFECT_")}
        with monkeypatch.context() as m:
            for key, value in env.items():
                m.setenv(key, value)
            loaded = Settings().to_environment_variables(exclude_unset=True)
        for key in env:
            assert key in loaded, f"{name}: {key} is not a (canonical) Prefect setting"


def test_minio_notifies_the_webhook(services: dict[str, dict[str, Any]]) -> None:
    from evidence.webhook import EVENTS_PATH

    minio = env_of(services["minio"])
    hook = env_of(services["webhook"])
    target = "evidence"
    assert minio[f"MINIO_NOTIFY_WEBHOOK_ENABLE_{target}"] == "on"
    endpoint = minio[f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{target}"]
    assert endpoint == f"http://webhook:{hook['EVIDENCE_WEBHOOK_PORT']}{EVENTS_PATH}"
    assert hook["EVIDENCE_WEBHOOK_HOST"] == "0.0.0.0"
    assert minio[f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{target}"] == hook["EVIDENCE_WEBHOOK_TOKEN"]
    assert minio.get(f"MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_{target}"), (
        "events must be queued while the receiver is down"
    )
    setup = (ROOT / "docker" / "minio-setup.sh").read_text(encoding="utf-8")
    assert f"arn:minio:sqs::{target}:webhook" in setup and "mc event add" in setup and "--event put" in setup
    assert "--prefix uploads/" in setup
    # the store credentials are MinIO's
    assert hook["EVIDENCE_S3_ACCESS_KEY"] == minio["MINIO_ROOT_USER"]
    assert hook["EVIDENCE_S3_SECRET_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    assert hook["EVIDENCE_S3_ENDPOINT"] == "minio:9000"
    assert env_of(services["minio-setup"])["EVIDENCE_S3_BUCKET"] == hook["EVIDENCE_S3_BUCKET"]


def test_webhook_dispatches_to_the_deployments(services: dict[str, dict[str, Any]]) -> None:
    from flows.deployments import deployment_specs

    names = {d.full_name for d in deployment_specs()}
    assert names == {"process_document/default", "review_submission/default", "reprocess/default"}
    hook = env_of(services["webhook"])
    assert hook["EVIDENCE_DISPATCH"] == "deployment"
    assert hook["EVIDENCE_DEPLOYMENT_PROCESS"] in names
    assert hook["EVIDENCE_DEPLOYMENT_REVIEW"] in names
    assert hook["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert env_of(services["worker"])["PREFECT_API_URL"] == hook["PREFECT_API_URL"]


def test_prefect_yaml_deployments() -> None:
    """Each deployment's entrypoint exists and names a flow of that name, on the pool `evidence`,
    on a queue that ``flows.deployments`` creates."""
    from flows.deployments import POOL, deployment_specs, queue_specs

    raw = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    pull = raw["pull"][0]["prefect.deployments.steps.set_working_directory"]["directory"]
    assert pull == "/app", "the image holds the code at /app"
    assert "WORKDIR /app" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    queues = {q.name for q in queue_specs({})}
    for spec in deployment_specs():
        path, func = spec.entrypoint.split(":")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf'@flow\(name="{spec.flow_name}"', source), spec.entrypoint
        assert re.search(rf"^def {func}\(", source, flags=re.MULTILINE), spec.entrypoint
        assert spec.work_pool == POOL and spec.work_queue in queues, spec
    ocr = next(q for q in queue_specs({"EVIDENCE_OCR_SLOTS": "3"}) if q.name == "ocr")
    assert ocr.limit == 3


def test_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), f"{name}: {source} is missing"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY prefect.yaml" in dockerfile and "COPY docker" in dockerfile
