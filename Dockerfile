# Worker / CLI / UI image: Debian with Tesseract (chi_sim) and the evidence-pipeline package.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_THREAD_LIMIT=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    EVIDENCE_HOME=/var/lib/evidence

RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 evidence \
 && mkdir -p /var/lib/evidence && chown evidence:evidence /var/lib/evidence

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY extractors ./extractors
COPY validators ./validators
COPY flows ./flows
COPY evidence ./evidence
COPY config ./config
# prefect.yaml (deployments, read by flows/deployments.py) and the compose healthcheck script
COPY prefect.yaml ./
COPY docker ./docker
# Editable install: the code reads its YAML data from /app/config beside the packages.
# [postgres]: psycopg for the index on PostgreSQL (EVIDENCE_DB_URL=postgresql+psycopg://…).
RUN pip install --no-cache-dir -e ".[postgres,rapidocr]" \
 && pip install --no-cache-dir --no-deps "rapidocr-onnxruntime==1.4.4"

USER evidence
WORKDIR /var/lib/evidence
ENTRYPOINT ["evidence"]
CMD ["--help"]
