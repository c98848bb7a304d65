namespace Resh.Handles.Tests.Config;

/// <summary>Real-world-looking configuration files, one per format, written by the tests.</summary>
internal static class ConfigCorpus
{
    public const string Compose = """
# docker-compose for the shop
version: "3.9"

x-defaults: &defaults
  restart: unless-stopped   # keep running
  logging:
    driver: json-file

services:
  web:
    <<: *defaults
    image: 'nginx:1.25'
    ports:
      - "80:80"
      - "443:443"
    environment:
      LOG_LEVEL: info
  # the database
  db:
    image: postgres:15
    volumes: [pgdata, backups]

volumes:
  pgdata: {}
""" + "\n";

    public const string Pyproject = """
# Project metadata
[project]
name = "shop"          # the package name
version = '1.2.3'
dependencies = ["requests>=2", "flask"]

[tool.ruff]
line-length = 88
lint.select = ["E", "F"]

[[tool.mypy.overrides]]
module = "a.*"
ignore_missing_imports = true

[[tool.mypy.overrides]]
module = "b.*"
""" + "\n";

    public const string Nginxish = """
; php-fpm style pool
[global]
pid = /run/php/fpm.pid
error_log = /var/log/php-fpm.log

[www]
user = www-data
listen = /run/php/www.sock
pm.max_children = 5
; the end
""" + "\n";

    public const string Env = """
# systemd EnvironmentFile
APP_ENV=production
DATABASE_URL="postgres://app@db/app"
export SECRET_PATH='/run/secrets/app'
WORKERS=4 # per core
""" + "\n";

    public const string Sysctl = """
# /etc/sysctl.d/99-app.conf
net.ipv4.ip_forward = 1
vm.swappiness=10
-net.core.somaxconn = 1024
; kernel.panic = 0
""" + "\n";

    public const string Properties = """
# Spring Boot
server.port=8080
spring.datasource.url = jdbc:postgresql://db:5432/app
app.greeting: Hello\
    World
! old style comment
logging.level.root INFO
""" + "\n";

    public const string Json = """
{
    // editor settings
    "editor.fontSize": 14,
    "server": {
        "port": 80,
        "tls": {"enabled": false}
    },
    "plugins": ["a", "b"]
}
""" + "\n";
}
