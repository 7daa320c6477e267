"""schemathesis hooks (loaded by schemathesis.toml): make generated data as valid as JSON
Schema means it to be, where the schema can't say it.

- schemathesis spells some integers as whole floats (`370.0`); JSON Schema counts those as
  integers, but the API reads integer fields as integers and refuses `370.0` (422). Send them
  as the integers they are.
- A CPF's last two digits are check digits, which no pattern can express: a generated CPF of
  the documented shape gets its check digits computed, so that creating patients, doctors and
  staff succeeds and the stateful phase reaches what they lead to.
- A generated Idempotency-Key repeats across unrelated requests (short strings), and a
  repeated key replays the first response — of a resource maybe deleted since. A valid key gets
  a unique suffix, so each request is its own.
"""

import re
import uuid

import schemathesis

CPF = re.compile(r"^([0-9]{3})\.?([0-9]{3})\.?([0-9]{3})-?([0-9]{2})$")


def _ints(value):
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    return value


def _cpf(value):
    m = CPF.match(value)
    if not m:
        return value
    digits = [int(c) for c in "".join(m.groups())[:9]]
    if len(set(digits)) == 1:
        digits[0] = (digits[0] + 1) % 10
    for n in (9, 10):
        r = sum(d * (n + 1 - i) for i, d in enumerate(digits[:n])) * 10 % 11
        digits.append(0 if r == 10 else r)
    return "".join(map(str, digits))


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, (dict, list, float)):
        case.body = _ints(case.body)
    if isinstance(case.body, dict) and isinstance(case.body.get("cpf"), str):
        case.body["cpf"] = _cpf(case.body["cpf"])
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and re.fullmatch(r"[\x21-\x7e]{1,200}", key):
        case.headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex}"
