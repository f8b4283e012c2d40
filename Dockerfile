# syntax=docker/dockerfile:1
# The silo image (k8s/base/deployment.yaml runs it as `orleansflow-silo`; docs/kubernetes.md shows how
# to build and push it). Two stages: the SDK image builds the libtorch shim and publishes the silo; the
# ASP.NET Core runtime image gets the published silo, the shim and the libtorch runtime it links to.
# .NET 10 images are Ubuntu 24.04 ("noble"); the shim is built and run against that release's libtorch.
ARG DOTNET_TAG=10.0-noble

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
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

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG} AS runtime
COPY --from=build /libtorch-runtime-packages /tmp/libtorch-runtime-packages
# curl only serves the HEALTHCHECK below; OpenBLAS is the LAPACK the Fréchet distance calls (without it
# FID falls back to the managed eigendecomposition, about 20x slower at 2,048-d).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl libopenblas0-pthread $(cat /tmp/libtorch-runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/libtorch-runtime-packages
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    DOTNET_NOLOGO=1
# HTTP API, /metrics and probes; Orleans silo-to-silo; Orleans client gateway.
EXPOSE 8080 11111 30000
# The base image's non-root `app` user (UID 1654), the UID the Deployment's securityContext names.
USER 1654
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=6 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["dotnet", "OrleansFlow.Silo.dll"]
