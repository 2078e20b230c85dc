"""Regenerate controls/mapping/conformance_pack_expected.json from the mapping files:
`python -m policies.rules.write_pack_expectations` (after editing controls/mapping/*.yaml)."""

from __future__ import annotations

import json
from importlib.resources import files

from policies.rules.account import EXPECTED_PACK, pack_expectations


def main() -> None:
    target = files("controls").joinpath(EXPECTED_PACK)
    with open(str(target), "w") as out:
        json.dump(pack_expectations(), out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
