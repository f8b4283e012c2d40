#!/usr/bin/python3
"""Makes a staged copy of a model package self-contained before it is pushed into a registry
(tools/push_digits_models.sh, tools/push_fashion_models.sh): a file its model.json names outside the
package (the shared "../<x>-fid/features.pt") is copied in and named by its file name.

    /usr/bin/python3 tools/stage_package.py STAGED_DIR SOURCE_DIR
"""
import json
import os
import shutil
import sys


def main():
    stage, source = sys.argv[1], sys.argv[2]
    path = os.path.join(stage, "model.json")
    with open(path) as f:
        manifest = json.load(f)
    for key, name in list(manifest.get("files", {}).items()):
        if name and os.path.dirname(os.path.normpath(name)).startswith(".."):
            shutil.copy(os.path.join(source, name), os.path.join(stage, os.path.basename(name)))
            manifest["files"][key] = os.path.basename(name)
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
