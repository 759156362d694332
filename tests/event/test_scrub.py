"""The text scrubbers: each secret value becomes ``***`` and every other byte stays put."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secoda_listener.event.scrub import is_secret_name, scrub_shell, scrub_sql, scrub_text

REPO = Path(__file__).resolve().parents[2]

# --- SQL: (input, expected output), compared byte for byte ------------------------------------

SQL_CASES = [
    pytest.param(
        "CREATE USER bob WITH PASSWORD 'hunter2' VALID UNTIL '2030-01-01';",
        "CREATE USER bob WITH PASSWORD '***' VALID UNTIL '2030-01-01';",
        id="postgres-create-user",
    ),
    pytest.param(
        "ALTER ROLE bob ENCRYPTED PASSWORD 'md5abcdef0123';",
        "ALTER ROLE bob ENCRYPTED PASSWORD '***';",
        id="postgres-encrypted-password",
    ),
    pytest.param("ALTER USER bob PASSWORD = 'it''s';", "ALTER USER bob PASSWORD = '***';", id="doubled-quote"),
    pytest.param(
        "CREATE USER u PASSWORD='a\\'b' DEFAULT_ROLE = analyst;",
        "CREATE USER u PASSWORD='***' DEFAULT_ROLE = analyst;",
        id="snowflake-backslash-escape",
    ),
    pytest.param(
        "alter user loader set password = 'Sn0w!' must_change_password = false;",
        "alter user loader set password = '***' must_change_password = false;",
        id="snowflake-lowercase",
    ),
    pytest.param(
        "COPY INTO raw.orders FROM 's3://acme-bucket/orders/'\n"
        "  CREDENTIALS = (AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE' AWS_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCY'\n"
        "                 AWS_TOKEN = 'FwoGZXIvYXdzEJr')\n"
        "  ENCRYPTION = (TYPE = 'AWS_SSE_C' MASTER_KEY = 'dGhpcyBpcyBhIGtleQ==')\n"
        "  FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',');",
        "COPY INTO raw.orders FROM 's3://acme-bucket/orders/'\n"
        "  CREDENTIALS = (AWS_KEY_ID = '***' AWS_SECRET_KEY = '***'\n"
        "                 AWS_TOKEN = '***')\n"
        "  ENCRYPTION = (TYPE = 'AWS_SSE_C' MASTER_KEY = '***')\n"
        "  FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',');",
        id="snowflake-copy-aws",
    ),
    pytest.param(
        "CREATE STAGE s URL='azure://acct.blob.core.windows.net/c/' "
        "CREDENTIALS=(AZURE_SAS_TOKEN='?sv=2021&sig=AbC%2B');",
        "CREATE STAGE s URL='azure://acct.blob.core.windows.net/c/' CREDENTIALS=(AZURE_SAS_TOKEN='***');",
        id="snowflake-azure-sas",
    ),
    pytest.param(
        "CREATE STAGE s URL = 's3://b/p' CREDENTIALS = (AWS_ROLE = 'arn:aws:iam::123:role/r' X_FUTURE = 'zzz');",
        "CREATE STAGE s URL = 's3://b/p' CREDENTIALS = (AWS_ROLE = 'arn:aws:iam::123:role/r' X_FUTURE = '***');",
        id="credentials-block-masks-unknown-keys-keeps-role",
    ),
    pytest.param(
        "CREATE STAGE s URL='s3://b' credentials=(aws_key_id='k1' aws_secret_key=\"k2\");",
        "CREATE STAGE s URL='s3://b' credentials=(aws_key_id='***' aws_secret_key=\"***\");",
        id="credentials-lowercase-double-quotes",
    ),
    pytest.param(
        "CREATE USER 'app'@'%' IDENTIFIED BY 'p@ss;word';",
        "CREATE USER 'app'@'%' IDENTIFIED BY '***';",
        id="mysql-identified-by",
    ),
    pytest.param(
        "CREATE USER 'a'@'h' IDENTIFIED WITH mysql_native_password BY \"pw\";",
        "CREATE USER 'a'@'h' IDENTIFIED WITH mysql_native_password BY \"***\";",
        id="mysql-identified-with",
    ),
    pytest.param(
        "CREATE USER scott IDENTIFIED BY tiger;", "CREATE USER scott IDENTIFIED BY ***;", id="oracle-unquoted"
    ),
    pytest.param(
        "copy sales from 's3://b/k' credentials 'aws_access_key_id=AK;aws_secret_access_key=SK' csv;",
        "copy sales from 's3://b/k' credentials '***' csv;",
        id="redshift-credentials-string",
    ),
    pytest.param(
        "COPY t FROM 's3://b/k' ACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 'SK' SESSION_TOKEN 'ST' "
        "IAM_ROLE 'arn:aws:iam::1:role/r';",
        "COPY t FROM 's3://b/k' ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***' SESSION_TOKEN '***' "
        "IAM_ROLE 'arn:aws:iam::1:role/r';",
        id="redshift-access-keys",
    ),
    pytest.param(
        "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'remote', password 'fdwpw');",
        "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'remote', password '***');",
        id="postgres-fdw-options",
    ),
    pytest.param(
        "SELECT * FROM dblink('host=db port=5432 dbname=x password=s3cret', 'select 1') AS t(a int);",
        "SELECT * FROM dblink('host=db port=5432 dbname=x password=***', 'select 1') AS t(a int);",
        id="dblink-conninfo",
    ),
    pytest.param(
        "CREATE SECURITY INTEGRATION i TYPE = OAUTH OAUTH_CLIENT_SECRET = 'cs' OAUTH_REFRESH_TOKEN => 'rt';",
        "CREATE SECURITY INTEGRATION i TYPE = OAUTH OAUTH_CLIENT_SECRET = '***' OAUTH_REFRESH_TOKEN => '***';",
        id="snowflake-oauth",
    ),
    pytest.param(
        "CREATE SECRET s TYPE = PASSWORD USERNAME = 'svc' PASSWORD = 'pw1';",
        "CREATE SECRET s TYPE = PASSWORD USERNAME = 'svc' PASSWORD = '***';",
        id="snowflake-create-secret",
    ),
    pytest.param(
        'SELECT PARSE_JSON(\'{"token": "abc", "user": "u"}\') AS j;',
        'SELECT PARSE_JSON(\'{"token": "***", "user": "u"}\') AS j;',
        id="json-in-literal",
    ),
    pytest.param(
        "INSERT INTO log SELECT 'postgresql://etl:pw@db:5432/shop' AS dsn;",
        "INSERT INTO log SELECT 'postgresql://etl:***@db:5432/shop' AS dsn;",
        id="uri-in-literal",
    ),
]

SQL_UNCHANGED = [
    "SELECT a.id, a.token_count, b.password_hash IS NULL FROM a JOIN b ON a.token = b.token WHERE a.x = 'y';",
    "SELECT password FROM users WHERE password IS NULL;",
    "CREATE TABLE t (id INT PRIMARY KEY, partition_key TEXT, api_key_id INT);",
    "INSERT INTO shop.public.orders SELECT * FROM staging.orders WHERE day = '2024-01-01';",
    "UPDATE users SET password = crypt($1, gen_salt('bf')) WHERE id = $2;",
    "COPY INTO t FROM @stage FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1) STORAGE_INTEGRATION = s3_int;",
    "SELECT 'monkey' AS animal, 'passage' AS word, 'Asia' AS region;",
    "MERGE INTO tgt USING src ON tgt.key = src.key WHEN MATCHED THEN UPDATE SET tgt.v = src.v;",
    "CREATE STAGE ext URL = 's3://bucket/path/' STORAGE_INTEGRATION = my_int;",
    "",
]


@pytest.mark.parametrize(("sql", "expected"), SQL_CASES)
def test_scrub_sql_masks_only_the_secret(sql: str, expected: str) -> None:
    assert scrub_sql(sql) == expected


@pytest.mark.parametrize("sql", SQL_UNCHANGED)
def test_scrub_sql_leaves_ordinary_sql_byte_identical(sql: str) -> None:
    assert scrub_sql(sql) == sql


def test_scrub_sql_multi_statement_keeps_everything_else() -> None:
    sql = (
        "BEGIN;\n"
        "CREATE USER etl_reader PASSWORD 'R3ader!';\n"
        "GRANT SELECT ON ALL TABLES IN SCHEMA mart TO etl_reader;\n"
        "INSERT INTO mart.daily SELECT day, count(*) FROM raw.events GROUP BY day;\n"
        "COMMIT;"
    )
    out = scrub_sql(sql)
    assert "R3ader!" not in out
    assert out == sql.replace("R3ader!", "***")


def test_scrub_sql_is_idempotent() -> None:
    sql = SQL_CASES[5].values[0]
    once = scrub_sql(sql)
    assert scrub_sql(once) == once


# --- shell ------------------------------------------------------------------------------------

SHELL_CASES = [
    pytest.param("export DB_PASSWORD=hunter2", "export DB_PASSWORD=***", id="export"),
    pytest.param(
        "PGPASSWORD='p w' psql -h db -p 5432 -U etl -d shop -c 'select 1'",
        "PGPASSWORD='***' psql -h db -p 5432 -U etl -d shop -c 'select 1'",
        id="pgpassword-prefix",
    ),
    pytest.param(
        'SNOWSQL_PWD="x" snowsql -a acct -q "select 1"',
        'SNOWSQL_PWD="***" snowsql -a acct -q "select 1"',
        id="snowsql-pwd",
    ),
    pytest.param("tool --password=abc --port 5432", "tool --password=*** --port 5432", id="long-flag-equals"),
    pytest.param("tool --api-key xyz123 run", "tool --api-key *** run", id="long-flag-space"),
    pytest.param("tool --client-secret 'a b' --x", "tool --client-secret '***' --x", id="quoted-flag-value"),
    pytest.param(
        "aws configure set aws_secret_access_key SK --profile p",
        "aws configure set aws_secret_access_key SK --profile p",
        id="positional-not-guessed",
    ),
    pytest.param(
        'JAVA_OPTS="-Djavax.net.ssl.keyStorePassword=changeit -Xmx1g" java -jar app.jar',
        'JAVA_OPTS="-Djavax.net.ssl.keyStorePassword=*** -Xmx1g" java -jar app.jar',
        id="secret-inside-non-secret-value",
    ),
    pytest.param("mysql -u root -pS3cret shop -e 'select 1'", "mysql -u root -p*** shop -e 'select 1'", id="mysql-p"),
    pytest.param(
        "mysqldump -h h -P 3306 -p'x y' db > d.sql", "mysqldump -h h -P 3306 -p'***' db > d.sql", id="mysqldump-p"
    ),
    pytest.param("mysql -p -h h db", "mysql -p -h h db", id="mysql-prompt-kept"),
    pytest.param("sshpass -p 'pw' ssh host", "sshpass -p '***' ssh host", id="sshpass"),
    pytest.param(
        "curl -sS -u admin:pa55 https://api.example.com/v1",
        "curl -sS -u admin:*** https://api.example.com/v1",
        id="curl-user",
    ),
    pytest.param(
        "curl -H 'Authorization: Bearer eyJabc.def' -H \"X-Api-Key: k123\" https://x",
        "curl -H 'Authorization: Bearer ***' -H \"X-Api-Key: ***\" https://x",
        id="curl-headers",
    ),
    pytest.param(
        "psql postgresql://etl:pw@db.internal:5432/shop -c \"ALTER USER x PASSWORD 'p'\"",
        "psql postgresql://etl:***@db.internal:5432/shop -c \"ALTER USER x PASSWORD '***'\"",
        id="uri-and-embedded-sql",
    ),
    pytest.param(
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG",
        "export AWS_ACCESS_KEY_ID=*** AWS_SECRET_ACCESS_KEY=***",
        id="aws-env",
    ),
    pytest.param("GITHUB_TOKEN=$(cat /run/secrets/gh) make", "GITHUB_TOKEN=*** make", id="command-substitution"),
]

SHELL_UNCHANGED = [
    "psql -h db.internal -p 5432 -U etl -d shop -f load.sql",
    "aws s3api get-object --bucket b --key data/2024/file.csv out.csv",
    "echo $PWD; cd $OLDPWD",
    "docker login --password-stdin registry.example.com",
    "psql --no-password shop -c 'select 1'",
    "vault kv get -field=password secret/db",
    "ansible-playbook --ask-pass site.yml",
    "python train.py --max-tokens 512 --partition-key day",
    "export PASSWORD_FILE=/run/secrets/db",
]


@pytest.mark.parametrize(("command", "expected"), SHELL_CASES)
def test_scrub_shell_masks_secrets(command: str, expected: str) -> None:
    assert scrub_shell(command) == expected


@pytest.mark.parametrize("command", SHELL_UNCHANGED)
def test_scrub_shell_leaves_ordinary_commands_alone(command: str) -> None:
    assert scrub_shell(command) == command


def test_scrub_shell_heredoc_script() -> None:
    command = textwrap.dedent(
        """\
        set -euo pipefail
        export PGHOST=db.internal PGPASSWORD=topsecret
        psql -d shop <<'EOF'
        CREATE USER report PASSWORD 'r3port';
        INSERT INTO mart.t SELECT * FROM raw.t;
        EOF
        """
    )
    out = scrub_shell(command)
    assert "topsecret" not in out and "r3port" not in out
    assert out == command.replace("topsecret", "***").replace("r3port", "***")


# --- free text ----------------------------------------------------------------------------

TEXT_CASES = [
    pytest.param(
        "connection to server failed: postgresql://bob:p@ss@db:5432/x?sslmode=require",
        "connection to server failed: postgresql://bob:***@db:5432/x?sslmode=require",
        id="uri-with-at-in-password",
    ),
    pytest.param("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0", id="uri-empty-user"),
    pytest.param(
        "mongodb+srv://u:p/w@cluster0.x.net/db", "mongodb+srv://u:***@cluster0.x.net/db", id="uri-slash-in-password"
    ),
    pytest.param(
        "{'password': 'x1', 'config': 'token=abc', \"api_key\": \"q\\\"w\", 'port': 5432}",
        "{'password': '***', 'config': 'token=***', \"api_key\": \"***\", 'port': 5432}",
        id="repr-and-json",
    ),
    pytest.param("Invalid password 'hunter2' for user bob", "Invalid password '***' for user bob", id="sentence"),
    pytest.param(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFy==;EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;EndpointSuffix=core.windows.net",
        id="azure-connection-string",
    ),
    pytest.param(
        "GET https://acct.blob.core.windows.net/c/f?sv=2021-08-06&se=2024-01-01&sp=r&sig=AbC%2Bd%3D 403",
        "GET https://acct.blob.core.windows.net/c/f?sv=2021-08-06&se=2024-01-01&sp=r&sig=*** 403",
        id="sas-url",
    ),
    pytest.param("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***", id="basic-header"),
    pytest.param(
        "headers={'Authorization': 'Bearer abc.def-ghi'}",
        "headers={'Authorization': 'Bearer ***'}",
        id="header-in-repr",
    ),
    pytest.param("proxy-authorization: Negotiate YIIabc", "proxy-authorization: Negotiate ***", id="proxy-header"),
    pytest.param(
        "jdbc:snowflake://acct.snowflakecomputing.com/?user=u&password=pw&db=RAW",
        "jdbc:snowflake://acct.snowflakecomputing.com/?user=u&password=***&db=RAW",
        id="jdbc-query",
    ),
    pytest.param(
        "key file:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc+/=\n-----END RSA PRIVATE KEY-----\nend",
        "key file:\n-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\nend",
        id="pem-key",
    ),
    pytest.param(
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN\\nBgkqhkiG9w0B",
        "-----BEGIN PRIVATE KEY-----***",
        id="pem-key-without-end",
    ),
    pytest.param("key AKIAIOSFODNN7EXAMPLE leaked", "key *** leaked", id="aws-key-id"),
    pytest.param("token ghp_" + "a1" * 18 + " used", "token *** used", id="github-token"),
    pytest.param(
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.SflKxwRJSMeKKF2QT4f end",
        "jwt *** end",
        id="jwt",
    ),
    pytest.param("psql: error: FATAL: password=abc rejected", "psql: error: FATAL: password=*** rejected", id="kv"),
]

TEXT_UNCHANGED = [
    'psql: error: connection to server at "db" (10.0.0.1), port 5432 failed: '
    'FATAL:  password authentication failed for user "etl"',
    "http://host:8080/path@version",
    "postgres://db.internal:5432",
    "snowflake://acme-xy12345",
    "Task exited with return code 1",
    "KeyError: 'partition_key'",
    "primary key violation on key (id)=(5)",
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_scrub_text_masks_secrets(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


@pytest.mark.parametrize("text", TEXT_UNCHANGED)
def test_scrub_text_leaves_ordinary_text_alone(text: str) -> None:
    assert scrub_text(text) == text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True), ("PGPASSWORD", True), ("SNOWSQL_PWD", True), ("api_key", True),
        ("apiKey", True), ("X-Auth-Token", True), ("AWS_SECRET_ACCESS_KEY", True), ("AWS_KEY_ID", True),
        ("clientSecret", True), ("sig", True), ("basic_auth", True), ("trustStorePassword", True),
        ("PWD", False), ("OLDPWD", False), ("key", False), ("partition_key", False), ("PASSWORD_FILE", False),
        ("auth_type", False), ("max_tokens", False), ("no-password", False), ("author", False), ("SECRET_NAME", False),
        ("", False),
    ],
)  # fmt: skip
def test_is_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


# --- hostile inputs ---------------------------------------------------------------------------

M = 1_000_000
HOSTILE = {
    "letters": "a" * M,
    "spaces-after-keyword": "password" + " " * M + "x",
    "single-quotes": "'" * M,
    "double-quotes": '"' * M,
    "unclosed-literal": "PASSWORD '" + "a" * M,
    "assignments": "a=" * (M // 2),
    "secret-assignments": "password=" * (M // 9),
    "schemes": "a://" * (M // 4),
    "userinfo": ("x://u:" + "p" * 600) * (M // 606),
    "dashes": "a-" * (M // 2),
    "secret-flags": "-password " * (M // 10),
    "keys": "key " * (M // 4),
    "pem-begins": "-----BEGIN PRIVATE KEY-----" * (M // 27),
    "jwt-prefixes": "eyJ" * (M // 3),
    "auth-headers": "Authorization: " * (M // 15),
    "identified": "IDENTIFIED " * (M // 11),
    "identified-spaces": "IDENTIFIED" + " " * M,
    "credentials": "CREDENTIALS=(" * (M // 13),
    "backslashes": "\\" * M,
    "mysql": "mysql -p" * (M // 8),
    "curl": "curl -u a:" * (M // 10),
    "json-keys": '{"password": "' * (M // 14),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_finishes_in_bounded_time(name: str) -> None:
    # In a subprocess with a generous timeout: catastrophic backtracking would take hours, not seconds.
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.event.test_scrub import HOSTILE
        from secoda_listener.event.scrub import scrub_shell, scrub_sql, scrub_text
        text = HOSTILE[{name!r}]
        for scrub in (scrub_sql, scrub_text, scrub_shell):
            out = scrub(text)
            assert isinstance(out, str)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_hostile_input_still_masks_a_secret_at_the_end() -> None:
    text = "x " * 200_000 + "PASSWORD 'tail-secret'"
    assert scrub_sql(text).endswith("PASSWORD '***'")


def test_scrub_module_imports_without_airflow() -> None:
    script = (
        "import sys; sys.modules['airflow'] = None\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from secoda_listener.event.scrub import scrub_sql\n"
        "from secoda_listener.event.redact import mask_with_airflow, redact_event\n"
        "assert mask_with_airflow({'a': 'b'}) == {'a': 'b'}\n"
        "body = redact_event({'event_id': 'e', 'task_instance': {'sql': \"ALTER USER u PASSWORD 'p'\"}},"
        " max_bytes=10000)\n"
        "assert body['task_instance']['sql'] == \"ALTER USER u PASSWORD '***'\", body\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
