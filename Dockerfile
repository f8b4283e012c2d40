# syntax=docker/dockerfile:1
# The silo image (k8s/base/deployment.yaml runs it as `orleansflow-silo`; docs/kubernetes.md shows how
# to build and push it). Two stages: the SDK image builds the libtorch shim and publishes the silo; the
# ASP.NET Core runtime image gets the published silo, the shim and the libtorch runtime it links to.
# .NET 10 images are Ubuntu 24.04 ("noble"); the shim is built and run against that release's libtorch.
# The bases are build arguments; Microsoft's images are the default. tools/image-check.sh builds on a
# debootstrapped Debian instead: RUNTIME_IMAGE=its base, APP=prepublished (a self-contained publish and the
# shim made on the host, in the build context), EXTRA_PACKAGES=what .NET needs that Microsoft's image has.
ARG DOTNET_TAG=10.0-noble
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG}
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG}
ARG APP=build

FROM ${SDK_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libtorch-dev cmake g++ \
 && rm -rf /var/lib/apt/lists/*
# The runtime package(s) libtorch-dev pulls in (libtorchX.Y), for the runtime stage to install by name.
RUN apt-cache depends libtorch-dev | awk '$1 == "Depends:" && $2 ~ /^libtorch[0-9]/ { print $2 }' > /libtorch-runtime-packages \
 && test -s /libtorch-runtime-packages
WORKDIR /src
COPY native/ native/
RUN native/build.sh
# Project files first: the restore layer is reused until a project or a package version changes.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Grains.Interfaces/Grains.Interfaces.csproj Grains.Interfaces/
COPY Grains/Grains.csproj Grains/
COPY Silo/Silo.csproj Silo/
RUN dotnet restore Silo/Silo.csproj
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY Silo/ Silo/
# TorchLibrary looks for the shim next to the silo's assemblies.
RUN dotnet publish Silo/Silo.csproj -c Release --no-restore -o /app \
 && cp native/build/liborleansflow_torch.so /app/

# Or the silo published outside (APP=prepublished): the context holds app/ (publish output with the shim)
# and libtorch-runtime-packages. Only the stage APP names is built.
FROM scratch AS prepublished
COPY app/ /app/
COPY libtorch-runtime-packages /libtorch-runtime-packages

FROM ${APP} AS app

FROM ${RUNTIME_IMAGE} AS runtime
ARG EXTRA_PACKAGES=""
COPY --from=app /libtorch-runtime-packages /tmp/libtorch-runtime-packages
# curl only serves the HEALTHCHECK below; OpenBLAS is the LAPACK the Fréchet distance calls (without it
# FID falls back to the managed eigendecomposition, about 20x slower at 2,048-d).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl libopenblas0-pthread $(cat /tmp/libtorch-runtime-packages) ${EXTRA_PACKAGES} \
 && rm -rf /var/lib/apt/lists/* /tmp/libtorch-runtime-packages
WORKDIR /app
COPY --from=app /app ./
# DOTNET_ROOT: where the apphost finds the shared runtime of a framework-dependent publish (Microsoft's
# images install it there); a self-contained publish carries its own and ignores it.
# MALLOC_ARENA_MAX=1: one malloc arena, so libtorch's activations stay mapped between model calls
# (Grains/Torch/GlibcHeap.cs; 3.8x on the Fashion-MNIST model).
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_NOLOGO=1 \
    MALLOC_ARENA_MAX=1 \
    DOTNET_ROOT=/usr/share/dotnet
# HTTP API, /metrics and probes; Orleans silo-to-silo; Orleans client gateway.
EXPOSE 8080 11111 30000
# The base image's non-root `app` user (UID 1654), the UID the Deployment's securityContext names.
USER 1654
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=6 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
# The apphost, so framework-dependent (Microsoft's runtime image) and self-contained (no .NET in the base) both start.
ENTRYPOINT ["/app/OrleansFlow.Silo"]
