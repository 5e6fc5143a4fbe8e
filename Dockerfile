# Multi-stage build: the toolchain stays in the first stage; the image ships one binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY seed seed
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/congdanso --create-home congdanso
COPY --from=build /src/target/release/congdanso /usr/local/bin/congdanso
USER congdanso
WORKDIR /var/lib/congdanso
ENV CDS_BIND=0.0.0.0:8080 \
    CDS_DATA_DIR=/var/lib/congdanso \
    CDS_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
# The server stops gracefully on SIGTERM, which is what `docker stop` sends.
ENTRYPOINT ["congdanso"]
CMD ["serve"]
