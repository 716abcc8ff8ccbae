"""Assemble a collection view of the project's plugins, for ``ansible-test sanity`` (make sanity).

ansible-test needs ``ansible_collections/<namespace>/<name>/``; the project keeps its plugins in
Ansible's adjacent-directory layout (library/, module_utils/, action_plugins/, doc_fragments/).
This copies them into ``DEST/ansible_collections/mailops/onboarding/plugins/`` and rewrites what
a collection spells differently: the module_utils import path, and the names of doc fragments
and of the modules the docs refer to (fully qualified). The view is a build product: nothing is edited there, findings are fixed here.

    python -m scripts.collection_view DEST    # prints the collection's directory
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMESPACE, NAME = "mailops", "onboarding"
COLLECTION_IMPORT = f"ansible_collections.{NAMESPACE}.{NAME}.plugins.module_utils"
# project directory -> collection plugin directory
PLUGIN_DIRS = {
    "library": "modules",
    "module_utils": "module_utils",
    "action_plugins": "action",
    "doc_fragments": "doc_fragments",
}
FRAGMENT_LIST = re.compile(r"^extends_documentation_fragment: \[(?P<names>[^\]]*)\]$", re.M)
GALAXY = f"""namespace: {NAMESPACE}
name: {NAME}
version: 1.0.0
readme: README.md
authors:
  - mailops maintainers
license:
  - GPL-3.0-or-later
"""
RUNTIME = "requires_ansible: '>=2.21.0'\n"
# validate-modules codes ignored for every module, with the reason (the ignore file's comment)
IGNORED_FOR_EVERY_MODULE = {
    "missing-gplv3-license": "the project declares no licence; a header would claim one",
}
# ... and for one module: (module, code) -> reason. Each needs a reason a reviewer accepts.
IGNORED = {
    ("sendcloud_domain", "bad-return-value-key"):
        "domain.items is SendCloud's verify items under its own name; renaming it changes the "
        "module's result; read it as domain['items']",
}


MODULE_REFERENCE = re.compile(
    r"M\((?P<name>\w+)\)"                                    # M(module)
    r"|(?P<markup>\b(?:O|RV)\()(?P<owner>\w+)(?P<anchor>#module:)"  # O(module#module:option)
    r"|(?P<seealso>^  - module: )(?P<seealso_name>\w+)$",      # a seealso entry
    re.M)


def qualified(match: re.Match[str]) -> str:
    """A module reference (M(name), another module's O()/RV(), a seealso entry) by its fully
    qualified collection name."""
    if match["name"]:
        return f"M({NAMESPACE}.{NAME}.{match['name']})"
    if match["markup"]:
        return f"{match['markup']}{NAMESPACE}.{NAME}.{match['owner']}{match['anchor']}"
    return f"{match['seealso']}{NAMESPACE}.{NAME}.{match['seealso_name']}"


def collection_source(text: str) -> str:
    """A project source file as the collection holds it."""
    text = text.replace("ansible.module_utils.mailops", f"{COLLECTION_IMPORT}.mailops")
    text = MODULE_REFERENCE.sub(qualified, text)
    return FRAGMENT_LIST.sub(
        lambda m: "extends_documentation_fragment: ["
        + ", ".join(f"{NAMESPACE}.{NAME}.{n.strip()}" for n in m["names"].split(","))
        + "]",
        text,
    )


def literal_fragment(text: str) -> str:
    """A doc fragment with each documentation string written out as a literal: a fragment may
    compute them (mailops_dns_provider does), ansible-test's yamllint reads only literals."""
    namespace: dict[str, object] = {}
    exec(compile(text, "<doc fragment>", "exec"), namespace)  # noqa: S102 (our own file)
    fragment = namespace["ModuleDocFragment"]
    strings = {name: value for name, value in vars(fragment).items()
               if name.isupper() and isinstance(value, str)}
    return ("from __future__ import annotations\n\n\nclass ModuleDocFragment:\n"
            + "".join(f"    {name} = {value!r}\n" for name, value in strings.items()))


def build(dest: Path) -> Path:
    root = dest / "ansible_collections" / NAMESPACE / NAME
    for source_dir, plugin_dir in PLUGIN_DIRS.items():
        for source in sorted((REPO / source_dir).rglob("*.py")):
            target = root / "plugins" / plugin_dir / source.relative_to(REPO / source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = collection_source(source.read_text(encoding="utf-8"))
            if plugin_dir == "doc_fragments":
                text = literal_fragment(text)
            target.write_text(text, encoding="utf-8")
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "runtime.yml").write_text(RUNTIME, encoding="utf-8")
    (root / "galaxy.yml").write_text(GALAXY, encoding="utf-8")
    shutil.copy(REPO / "README.md", root / "README.md")
    write_ignores(root)
    return root


def write_ignores(root: Path) -> None:
    from ansible.release import __version__ as core_version

    major_minor = ".".join(core_version.split(".")[:2])
    lines = [f"plugins/modules/{module.name} validate-modules:{code}  # {reason}"
             for module in sorted((root / "plugins" / "modules").glob("*.py"))
             for code, reason in IGNORED_FOR_EVERY_MODULE.items()]
    lines += [f"plugins/modules/{module}.py validate-modules:{code}  # {reason}"
              for (module, code), reason in IGNORED.items()]
    sanity = root / "tests" / "sanity"
    sanity.mkdir(parents=True, exist_ok=True)
    (sanity / f"ignore-{major_minor}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m scripts.collection_view DEST")
    print(build(Path(sys.argv[1])))
