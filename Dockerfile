# syntax=docker/dockerfile:1
# Build: docker build -t upskill .
# Run:   docker run -p 8080:8080 -v upskill-data:/data upskill

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# cgo is required: the SQLite driver is a C library.
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/upskill ./cmd/upskill

# A glibc runtime: the cgo binary is dynamically linked, so a static base
# image would fail with "no such file or directory".
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin upskill \
 && mkdir -p /data && chown upskill:upskill /data && chmod 0700 /data
COPY --from=build /out/upskill /usr/local/bin/upskill
COPY --chown=upskill:upskill content /srv/upskill/content
ENV UPSKILL_ADDR=:8080 \
    UPSKILL_DATA_DIR=/data \
    UPSKILL_CONTENT_DIR=/srv/upskill/content \
    UPSKILL_LOG_FORMAT=json
USER upskill
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["upskill", "healthcheck"]
ENTRYPOINT ["upskill"]
CMD ["serve"]
