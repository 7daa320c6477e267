#!/usr/bin/env bash
# The project's test command (README; .ci/run calls it):
#
#   scripts/test.sh [cargo test args...]     e.g. scripts/test.sh -p hospital-core
#
# Installs the Python tools the tests need into .venv/ (scripts/requirements.txt: moto_server
# for the AWS integration tests, aws-sam-translator and cfn-lint for the template checks,
# schemathesis for the API against its OpenAPI document), checks the SAM template offline,
# runs every crate's tests, then schemathesis against hospital-local (skipped when cargo test
# arguments narrow the run). No AWS account or network access is used by the tests
# themselves: the AWS SDK talks to a moto_server the tests start on 127.0.0.1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

PYTHON="${PYTHON:-python3}"
venv="$root/.venv"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s scripts/requirements.txt "$stamp"; then
    echo "scripts/test.sh: installing the Python test tools into .venv (scripts/requirements.txt)..." >&2
    "$PYTHON" -m venv "$venv"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt; then
        echo "scripts/test.sh: pip install failed; install them by hand:" >&2
        echo "    $venv/bin/python -m pip install -r scripts/requirements.txt" >&2
        exit 1
    fi
    cp scripts/requirements.txt "$stamp"
fi
# The tests find moto_server, python3 and st here.
export PATH="$venv/bin:$PATH"

# Static credentials and a region so the AWS SDK never probes instance metadata.
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

echo "--- template"
cfn-lint template.yaml
python3 scripts/check_template.py

cargo test --workspace --locked "$@"

if [ "$#" -eq 0 ]; then
    echo "--- schemathesis"
    # target/debug/hospital-local was built by the cargo tests above (infra/local's CLI tests).
    scripts/schemathesis.sh
fi
