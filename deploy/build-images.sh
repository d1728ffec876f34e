#!/usr/bin/env bash
# Builds the service images (and the workers' CUDA variants) and pushes them to a registry.
#   bash deploy/build-images.sh REGISTRY [TAG]      e.g. bash deploy/build-images.sh ghcr.io/acme 0.1.0
# Needs docker (or podman as docker) with a running engine, and `docker login REGISTRY` done first.
# Set PUSH=0 to build without pushing, CUDA=0 to skip the CUDA variants.
set -euo pipefail
cd "$(dirname "$0")/.."
registry="${1:?usage: build-images.sh REGISTRY [TAG]}"
tag="${2:-0.1.0-SNAPSHOT}"
services=(gateway trainer-worker merger inference-worker)
cuda_services=(trainer-worker inference-worker)

mvn -B -ntp -q package -DskipTests -pl "$(IFS=,; echo "${services[*]}")" -am
build() { # image dockerfile service
  docker build -f "deploy/images/$2" --build-arg SERVICE="$3" -t "$registry/$1:$tag" .
  if [[ "${PUSH:-1}" == 1 ]]; then docker push "$registry/$1:$tag"; fi
}
for s in "${services[@]}"; do
  build "mmgpt/$s" Dockerfile.jvm "$s"
done
if [[ "${CUDA:-1}" == 1 ]]; then
  for s in "${cuda_services[@]}"; do
    build "mmgpt/$s-cuda" Dockerfile.cuda "$s"
  done
fi
echo "images built as $registry/mmgpt/<service>:$tag"
