#!/bin/bash
# An instance's first boot on AWS (EC2 user data, run once by cloud-init as root on Debian 12). The stack
# puts the MC_* assignments in front of this file (lib/user-data.ts); everything the instance is told comes
# from them, and `myclothes serve` is configured only through MYCLOTHES_<SECTION>_<KEY> variables
# (src/core/config.cpp). Its output is in /var/log/cloud-init-output.log.
#
#   packages (the binary's libraries, awscli, stunnel) → the SSM agent → the release from S3 → the RDS CA
#   → the secrets → /etc/myclothes/myclothes.env (0600) → the Redis TLS tunnel and myclothes under systemd
#   → wait for /readyz → tell CloudFormation (success or failure)
set -Eeuo pipefail

: "${MC_REGION:?}" "${MC_STACK:?}" "${MC_SIGNAL_RESOURCE:?}" "${MC_ARTIFACT_BUCKET:?}" "${MC_ARTIFACT_KEY:?}"
: "${MC_DB_HOST:?}" "${MC_DB_PORT:?}" "${MC_DB_NAME:?}" "${MC_DB_SECRET_ARN:?}" "${MC_DB_REPLICA_HOSTS?}"
: "${MC_CACHE_HOST:?}" "${MC_CACHE_PORT:?}" "${MC_COOKIE_SECRET_ARN:?}" "${MC_ADMIN_SECRET_ARN:?}"
: "${MC_SESSION_MODE:?}" "${MC_SESSIONS_TABLE?}" "${MC_SEED_PRODUCTS:?}" "${MC_APP_PORT:?}"

readonly app=/opt/myclothes etc=/etc/myclothes tunnel_port=6380
export DEBIAN_FRONTEND=noninteractive AWS_DEFAULT_REGION="$MC_REGION"

# The libraries the release binary links (Debian 12's), the AWS CLI for S3, Secrets Manager and the
# CloudFormation signal, and stunnel for TLS to ElastiCache (Debian 12's hiredis 0.14 has no TLS: ADR 12).
# The image's own unattended-upgrades may hold the dpkg lock for a while after boot: wait for it.
apt_get() { apt-get -q -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 "$@"; }
apt_get update
apt_get install -y --no-install-recommends \
  libpq5 libhiredis0.14 libsodium23 libboost-json1.81.0 libspdlog1.10 libfmt9 libtomlplusplus3 libssl3 \
  awscli jq curl ca-certificates openssl stunnel4

# IMDSv2 only (the launch template requires tokens).
imds_token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)
imds() { curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" "http://169.254.169.254/latest/meta-data/$1"; }
instance_id=$(imds instance-id)
az=$(imds placement/availability-zone)

# From here a failure tells CloudFormation at once (it rolls the deployment back) instead of its timeout.
signal() {
  aws cloudformation signal-resource --stack-name "$MC_STACK" --logical-resource-id "$MC_SIGNAL_RESOURCE" \
    --unique-id "$instance_id" --status "$1" >/dev/null 2>&1 ||
    echo "myclothes boot: no CloudFormation signal sent (the stack is not waiting for one)"
}
trap 'echo "myclothes boot: failed at line $LINENO"; signal FAILURE' ERR

# Operators come in through SSM Session Manager, never SSH (no port is open for it). Debian's image may
# not carry the agent: AWS publishes a .deb per region.
if ! dpkg-query -W amazon-ssm-agent >/dev/null 2>&1; then
  curl -fsSo /tmp/amazon-ssm-agent.deb \
    "https://s3.$MC_REGION.amazonaws.com/amazon-ssm-$MC_REGION/latest/debian_amd64/amazon-ssm-agent.deb"
  dpkg -i /tmp/amazon-ssm-agent.deb
fi
systemctl enable --now amazon-ssm-agent

# The release (deploy/aws/package): myclothes/{bin/myclothes,web/,db/migrations/}.
aws s3 cp --only-show-errors "s3://$MC_ARTIFACT_BUCKET/$MC_ARTIFACT_KEY" /tmp/myclothes.tar.gz
rm -rf "$app" && mkdir -p "$app"
tar -xzf /tmp/myclothes.tar.gz -C "$app" --strip-components=1
[ -x "$app/bin/myclothes" ] || { echo "myclothes boot: the artifact has no myclothes/bin/myclothes"; false; }
id myclothes >/dev/null 2>&1 || useradd --system --home-dir "$app" --shell /usr/sbin/nologin myclothes

# libpq checks the database's certificate against the RDS certificate authorities (sslmode=verify-full).
mkdir -p "$etc" && chmod 755 "$etc"
curl -fsSo "$etc/rds-ca.pem" https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
chmod 644 "$etc/rds-ca.pem"

secret() { aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text; }
db_secret=$(secret "$MC_DB_SECRET_ARN")
db_user=$(jq -r .username <<<"$db_secret")
db_password=$(jq -r .password <<<"$db_secret")
# session.cookie_keys wants "id:base64url(32 bytes)": every instance derives the same key from the secret.
cookie_key=$(secret "$MC_COOKIE_SECRET_ARN" | tr -d '\n' | openssl dgst -sha256 -binary | basenc --base64url | tr -d '=')
admin_token=$(secret "$MC_ADMIN_SECRET_ARN")

# A libpq connection string per server; the generated password has no punctuation (nothing to quote, no
# comma to split db.replicas on).
conninfo() {
  printf 'host=%s port=%s dbname=%s user=%s password=%s sslmode=verify-full sslrootcert=%s connect_timeout=2' \
    "$1" "$MC_DB_PORT" "$MC_DB_NAME" "$db_user" "$db_password" "$etc/rds-ca.pem"
}
replicas=
for host in $MC_DB_REPLICA_HOSTS; do replicas+="${replicas:+,}$(conninfo "$host")"; done

# The instance's settings, readable by root only (systemd reads the file before it drops to the user).
# idle_timeout above the ALB's 60 s: the instance must not close a keep-alive connection the ALB is about
# to reuse (that is a 502 for the shopper).
umask 077
cat >"$etc/myclothes.env" <<EOF
MYCLOTHES_SERVER_HOST=0.0.0.0
MYCLOTHES_SERVER_PORT=$MC_APP_PORT
MYCLOTHES_SERVER_INSTANCE_ID=$instance_id
MYCLOTHES_SERVER_AZ=$az
MYCLOTHES_SERVER_WEB_ROOT=$app/web
MYCLOTHES_SERVER_IDLE_TIMEOUT_SECONDS=75
MYCLOTHES_DB_PRIMARY="$(conninfo "$MC_DB_HOST")"
MYCLOTHES_DB_REPLICAS="$replicas"
MYCLOTHES_REDIS_HOST=127.0.0.1
MYCLOTHES_REDIS_PORT=$tunnel_port
MYCLOTHES_SESSION_MODE=$MC_SESSION_MODE
MYCLOTHES_SESSION_COOKIE_KEYS=k1:$cookie_key
MYCLOTHES_ADMIN_TOKEN=$admin_token
MYCLOTHES_LOG_FORMAT=json
EOF
if [ -n "$MC_SESSIONS_TABLE" ]; then
  # Session mode dynamodb: the table and its region (ADR 12 names these settings for the C++ side).
  cat >>"$etc/myclothes.env" <<EOF
MYCLOTHES_DYNAMODB_TABLE=$MC_SESSIONS_TABLE
MYCLOTHES_DYNAMODB_REGION=$MC_REGION
EOF
fi
umask 022

# TLS to ElastiCache through a local tunnel: hiredis talks plain Redis to 127.0.0.1:6380, stunnel speaks
# TLS to the primary endpoint and checks its certificate and name. `delay = yes` resolves the endpoint on
# every connection, so after a failover (the endpoint's DNS name moves to the new primary) the next
# reconnect reaches the new primary.
cat >"$etc/redis-tunnel.conf" <<EOF
foreground = yes
pid =
[redis]
client = yes
accept = 127.0.0.1:$tunnel_port
connect = $MC_CACHE_HOST:$MC_CACHE_PORT
delay = yes
sni = $MC_CACHE_HOST
checkHost = $MC_CACHE_HOST
verifyChain = yes
CAfile = /etc/ssl/certs/ca-certificates.crt
EOF
cat >/etc/systemd/system/myclothes-redis-tunnel.service <<EOF
[Unit]
Description=TLS tunnel from 127.0.0.1:$tunnel_port to ElastiCache Redis (stunnel)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/bin/stunnel4 $etc/redis-tunnel.conf
DynamicUser=yes
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
EOF

seed=
[ "$MC_SEED_PRODUCTS" = 0 ] || seed="ExecStartPre=$app/bin/myclothes seed --if-empty --products $MC_SEED_PRODUCTS"
# Migrations and the seed run before each start; both take a PostgreSQL advisory lock, so instances
# starting together apply each once. SIGTERM drains (readiness 503, in-flight requests finish); the ALB
# has stopped sending before the Auto Scaling group stops an instance (deregistration delay).
cat >/etc/systemd/system/myclothes.service <<EOF
[Unit]
Description=MyClothes store instance (myclothes serve)
After=network-online.target myclothes-redis-tunnel.service
Wants=network-online.target myclothes-redis-tunnel.service

[Service]
User=myclothes
EnvironmentFile=$etc/myclothes.env
WorkingDirectory=$app
ExecStartPre=$app/bin/myclothes migrate --dir $app/db/migrations
$seed
ExecStart=$app/bin/myclothes serve
TimeoutStartSec=900
TimeoutStopSec=30
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
EOF
systemctl daemon-reload
systemctl enable --now myclothes-redis-tunnel.service myclothes.service

# Ready when the instance itself says so; the ALB's health checks ask the same question.
for _ in $(seq 600); do
  if curl -fs -o /dev/null "http://127.0.0.1:$MC_APP_PORT/readyz"; then
    echo "myclothes boot: $instance_id in $az is ready"
    signal SUCCESS
    exit 0
  fi
  sleep 1
done
echo "myclothes boot: /readyz did not answer 200 within 600 s (journalctl -u myclothes)"
false
