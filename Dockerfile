# batchrun images: one image holding every service binary (batchrun-ingest, batchrun-dispatcher,
# batchrun-webhook-sender), the demo worker and the CLI; the container's command picks the service.
# Built from the same Debian bookworm packages as the native build (scripts/setup).
#   docker build -t batchrun .
#   docker run --rm batchrun batchrun-ingest --help

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config \
      librdkafka-dev libpistache-dev rapidjson-dev libgtest-dev libgmock-dev \
      libcurl4-openssl-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libjemalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the shipped binaries; the test suites are built and run by scripts/test, not here.
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target batchrun-ingest batchrun-dispatcher batchrun-webhook-sender batchrun-demo-worker batchrun \
 && install -d /out && install -m 0755 /build/bin/batchrun /build/bin/batchrun-* /out/

FROM debian:bookworm-slim AS runtime
# Runtime libraries only (the -dev packages' shared objects), plus curl for health checks.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libpistache0 libcurl4 libssl3 libspdlog1.10 libfmt9 libjemalloc2 ca-certificates curl tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 batchrun \
 && useradd --system --uid 10001 --gid batchrun --no-create-home --shell /usr/sbin/nologin batchrun
COPY --from=build /out/ /usr/local/bin/
USER 10001:10001
# Services listen on loopback by default; in a container they must listen on every interface.
ENV BATCHRUN_INGEST_HOST=0.0.0.0 \
    BATCHRUN_DISPATCHER_HOST=0.0.0.0 \
    BATCHRUN_WEBHOOK_HOST=0.0.0.0 \
    BATCHRUN_DEMO_WORKER_HOST=0.0.0.0 \
    BATCHRUN_DEMO_RECEIVER_HOST=0.0.0.0
EXPOSE 8080 8081 8082 8090 8091
# tini forwards SIGTERM to the service (which drains) and reaps children.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["batchrun-ingest"]
