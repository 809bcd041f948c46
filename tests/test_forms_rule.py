"""Every form is a WTForms class (each area's forms.py): a view hands the posted entries
(request.form, request.files) to a form class and reads the form, never an entry itself."""

import ast
from pathlib import Path

FIELDAPP = Path(__file__).resolve().parent.parent / "fieldapp"
# db.py touches request.form only to make Werkzeug parse the body (see its comment).
ALLOWED_MODULES = {"db.py"}


def _form_call(node: ast.AST) -> bool:
    """A call of a form class (…Form) or of a function building one (…_form)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name.endswith(("Form", "_form"))


def _hand_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ("form", "files")
                and isinstance(node.value, ast.Name) and node.value.id == "request"):
            ancestor = parents.get(node)
            while ancestor is not None and not _form_call(ancestor):
                ancestor = parents.get(ancestor)
            if ancestor is None:
                found.append(f"{path.relative_to(FIELDAPP)}:{node.lineno}")
    return found


def test_views_read_posted_entries_only_through_a_form_class():
    modules = [p for p in FIELDAPP.rglob("*.py")
               if p.name != "forms.py" and str(p.relative_to(FIELDAPP)) not in ALLOWED_MODULES]
    assert len(modules) > 20
    hand_read = [where for path in modules for where in _hand_reads(path)]
    assert hand_read == []
