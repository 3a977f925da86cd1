# herald's container image: built on debian:12, run on debian:12-slim with only the runtime
# libraries, as a non-root user. See docs/deploy.md.
#
#   podman build --format docker -t localhost/herald:latest .     (docker build -t herald .)
#   podman run --rm -p 127.0.0.1:8080:8080 localhost/herald:latest
#
# (--format docker keeps the HEALTHCHECK: the OCI image format has no field for it.)
#
# Listeners. Public 0.0.0.0:8080 (SSE, WebSocket, /healthz, /readyz). Internal (publish API, inspect,
# /metrics) stays on herald's default 127.0.0.1:8081: in a pod the app container shares the
# loopback interface, so it publishes to http://127.0.0.1:8081 with no API key and nothing outside
# the pod can reach that listener. To reach the internal listener from outside the container
# (plain `podman run -p`), bind it off loopback AND give an API key; herald refuses to start
# with an off-loopback internal listener and no key:
#   podman run -p 127.0.0.1:8080:8080 -p 127.0.0.1:8081:8081 \
#     -e HERALD_INTERNAL=0.0.0.0:8081 -e HERALD_API_KEY="$(openssl rand -hex 24)" localhost/herald:latest
# The health check, `herald probe`, asks /readyz at the address HERALD_INTERNAL binds (a wildcard
# is asked on 127.0.0.1), so it follows either choice without curl in the image.

# ---- build: only the herald binary (no tests); packages as in scripts/install-deps.sh ----
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake g++ make pkg-config libboost1.81-dev libcli11-dev nlohmann-json3-dev libspdlog-dev \
      libssl-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the build reads, so edits to docs or tests keep the compile layer cached.
COPY CMakeLists.txt ./
COPY lib lib
COPY sidecar sidecar
COPY cmd cmd
COPY bench bench
COPY man man
COPY completions completions
ARG JOBS=2
# Release at -O2 without debug info: the quickest optimised build (-O3 and -g cost compile time).
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DHERALD_BUILD_TESTS=OFF \
 && cmake --build build --target herald -j "${JOBS}" \
 && strip build/herald \
 && build/herald version

# ---- run: debian:12-slim with the shared libraries `ldd herald` names ----
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssl3 libhiredis0.14 libspdlog1.10 libfmt9 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin herald
COPY --from=build /src/build/herald /usr/local/bin/herald
COPY --from=build /src/man/herald.1 /usr/local/share/man/man1/herald.1
# Fails the build when a shared library is missing from this stage.
RUN if ldd /usr/local/bin/herald | grep 'not found'; then exit 1; fi && herald version
ENV HERALD_PUBLIC=0.0.0.0:8080 \
    HERALD_INTERNAL=127.0.0.1:8081
EXPOSE 8080 8081
USER 10001:10001
# herald drains on SIGTERM (streams told to come back over --drain-window, exit by
# --shutdown-timeout); give the runtime's stop timeout at least the shutdown timeout.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["herald", "probe", "--timeout", "2s"]
ENTRYPOINT ["herald"]
CMD ["serve"]
