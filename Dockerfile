# OpenLines: a static binary (pure-Go SQLite, no C) on a distroless base,
# run as a non-root user, data on a volume. docs/OPERATIONS.md, "Containers".
# A test (deploy/deploy_test.go) builds the binary with this file's go build
# line and checks that it is static.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" -o /out/openlines ./cmd/openlines
# The data directory, owned by the image's non-root user (65532).
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/openlines /usr/local/bin/openlines
COPY --from=build /out/data /data
USER 65532:65532
ENV OPENLINES_DB=/data/openlines.db \
    OPENLINES_SECRET_KEY_FILE=/data/secret.key \
    OPENLINES_ADDR=0.0.0.0:8080 \
    OPENLINES_METRICS_ADDR=0.0.0.0:9090
VOLUME ["/data"]
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/openlines", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/openlines"]
CMD ["serve"]
