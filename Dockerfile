# The four tslake images (the names the Helm chart and the ECR repositories in infra/ expect), built from the
# repository root:
#   docker build --target job      --build-arg SERVICE=generator  -t tslake-generator .
#   docker build --target consumer --build-arg SERVICE=raw-ingest -t tslake-raw-ingest .
#   docker build --target consumer --build-arg SERVICE=cep        -t tslake-cep .
#   docker build --target job      --build-arg SERVICE=exporter   -t tslake-exporter .
# consumer: a KCL consumer (Java MultiLangDaemon + Python record processors); the raw-ingest image is deployed
# twice (readings -> raw table, CEP events -> cep table), and the cep image also runs `tslake cep replay`.
# job: no Java; the generator Deployment and the exporter CronJob.
# Every image holds the whole tslake package; SERVICE only picks what `docker run IMAGE [ARGS]` starts
# (`tslake SERVICE ARGS`). See services/*/README.md and charts/tslake/README.md.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY services ./services
RUN python -m venv /opt/tslake \
 && /opt/tslake/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/tslake/bin/pip install --no-cache-dir .

# The official amazon-kclpy fetches the KCL jars from Maven Central at install time.
FROM build AS build-consumer
RUN /opt/tslake/bin/pip install --no-cache-dir amazon-kclpy==2.1.5

FROM ${PYTHON_IMAGE} AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /home/tslake --create-home tslake
ENV PATH=/opt/tslake/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TSLAKE_METRICS_HOST=0.0.0.0 \
    TSLAKE_METRICS_PORT=9100
EXPOSE 9100
# tini is PID 1 and the shell execs tslake, so SIGTERM reaches it (a consumer's supervisor then stops the JVM
# and lets every shard checkpoint). The chart sets its own `command`, with tini for the consumers.
ENTRYPOINT ["/usr/bin/tini", "--", "/bin/sh", "-c", "exec tslake \"$TSLAKE_COMMAND\" \"$@\"", "tslake"]

FROM base AS job
ARG SERVICE
COPY --from=build /opt/tslake /opt/tslake
ENV TSLAKE_COMMAND=${SERVICE}
# Fails the build on a missing or unknown SERVICE.
RUN tslake "${SERVICE:?--build-arg SERVICE=<generator|exporter> is required}" --help > /dev/null
USER 10001

FROM base AS consumer
ARG SERVICE
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build-consumer /opt/tslake /opt/tslake
ENV TSLAKE_COMMAND=${SERVICE} \
    TSLAKE_CONSUMER_DRIVER=kcl
# Fails the build on a missing or unknown SERVICE, or when amazon-kclpy came without the KCL jars.
RUN tslake "${SERVICE:?--build-arg SERVICE=<raw-ingest|cep> is required}" --help > /dev/null \
 && python -c "from tslake.consumer.kcl.daemon import jars_dir; from tslake.settings.consumer import ConsumerSettings; \
print(jars_dir(ConsumerSettings(stream='x', application_name='x')))"
USER 10001
