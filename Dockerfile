# syntax=docker/dockerfile:1
# poolctl as a container: a drop-in for the edoburu/pgbouncer image (README: "Run in a container").
#   docker build -t poolctl .
#   docker run --rm -p 6432:6432 -e DATABASE_URL=postgresql://user:password@db:5432/app poolctl
# Not built on the machines this repository is developed on (they have no container runtime): what it runs,
# `poolctl start --from-env`, is tested as a plain process (ContainerEnvIT).

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The tests need a PostgreSQL of their own: `mvn -B verify` runs them outside the image build.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# A system user with a fixed uid (the Kubernetes manifests run as it); /etc/pgbouncer is where the generated
# config goes, or where a pgbouncer.ini of your own is mounted; group 0 may write it too (OpenShift's random uids).
RUN useradd --system --uid 10001 --gid 0 --home-dir /var/lib/poolctl --create-home --shell /usr/sbin/nologin poolctl \
    && mkdir -p /etc/pgbouncer /var/run/poolctl \
    && chown poolctl:0 /etc/pgbouncer /var/run/poolctl && chmod 0770 /etc/pgbouncer /var/run/poolctl
# The launcher finds the jar at ../cli/target/poolctl.jar; it stays the parent of the JVM under `start`, so that
# docker stop's SIGTERM (and QUIT) reach the pooler once and in PgBouncer's meaning.
COPY --from=build /src/scripts/poolctl /opt/poolctl/scripts/poolctl
COPY --from=build /src/cli/target/poolctl.jar /opt/poolctl/cli/target/poolctl.jar
# DRAIN_ON_SIGTERM: docker stop drains, clients leave at their transaction boundary within drain_timeout (60 s);
# give the container a stop timeout longer than that (docker stop -t 75, compose stop_grace_period: 75s).
ENV PATH=/opt/poolctl/scripts:$PATH DRAIN_ON_SIGTERM=1
USER 10001
EXPOSE 6432
# As pg_isready: up when the pooler answers a startup, no password needed.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s \
    CMD ["/opt/poolctl/scripts/poolctl", "status", "--ping", "-c", "/etc/pgbouncer/pgbouncer.ini", "--connect-timeout", "5"]
ENTRYPOINT ["/opt/poolctl/scripts/poolctl"]
CMD ["start", "--from-env", "-c", "/etc/pgbouncer/pgbouncer.ini"]
