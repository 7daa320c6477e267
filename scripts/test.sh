#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it):
#
#   scripts/test.sh [cargo test args...]     e.g. scripts/test.sh -p hospital-core
#
# Installs the Python tools the tests need when they are missing (moto_server for the DynamoDB
# integration tests, aws-sam-translator and cfn-lint for the template checks), checks the SAM
# template offline, then runs every crate's tests. No AWS account or network access is used by the
# tests themselves: the AWS SDK talks to a moto_server the tests start on 127.0.0.1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"

have_python_tools() {
    command -v moto_server >/dev/null 2>&1 &&
        "$PYTHON" -c 'import moto.server, flask, flask_cors, samtranslator, cfnlint' >/dev/null 2>&1
}

if ! have_python_tools; then
    echo "scripts/test.sh: installing moto[server], aws-sam-translator and cfn-lint (pip)..." >&2
    if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check \
        'moto[server]' aws-sam-translator cfn-lint; then
        echo "scripts/test.sh: pip install failed; install them by hand:" >&2
        echo "    $PYTHON -m pip install 'moto[server]' aws-sam-translator cfn-lint" >&2
        exit 1
    fi
    hash -r
    if ! have_python_tools; then
        echo "scripts/test.sh: moto_server is still not on PATH after pip install" >&2
        echo "    (pyenv users: run 'pyenv rehash'; otherwise add pip's script directory to PATH)" >&2
        exit 1
    fi
fi

# Static credentials and a region so the AWS SDK never probes instance metadata (DESIGN §7).
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

"$PYTHON" scripts/check_template.py

cargo test --workspace --locked "$@"
