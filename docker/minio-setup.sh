#!/bin/sh
# One-shot MinIO set-up (compose service `minio-setup`, image minio/mc): create the bucket and
# subscribe the webhook target `evidence` (configured on the `minio` service through
# MINIO_NOTIFY_WEBHOOK_*_evidence) to object-created events under uploads/. Safe to run twice.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${EVIDENCE_S3_BUCKET:?}"
ARN="arn:minio:sqs::evidence:webhook"

mc alias set evidence http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "evidence/$EVIDENCE_S3_BUCKET"
if mc event ls "evidence/$EVIDENCE_S3_BUCKET" "$ARN" | grep -q "$ARN"; then
  echo "bucket notification for $ARN already present"
else
  mc event add "evidence/$EVIDENCE_S3_BUCKET" "$ARN" --event put --prefix uploads/
fi
mc event ls "evidence/$EVIDENCE_S3_BUCKET"
