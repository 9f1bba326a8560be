"""Codemod (issue 18, point 3): services take ``acting: Acting`` instead of ``site_id``/``actor``.

Not applied yet: prepared, and tried once on a clone of main at 57db849, where it
converted 232 functions and 1,362 call sites and, with 21 files fixed by hand (helpers
and ``**`` dicts feeding the services, code inside the tests' subprocess strings, a
lazy import in ``app.py``, ``tests/services/test_site_walk.py``'s introspection), left
the SQLite suite green. To apply it:

1. ``.venv/bin/pip install libcst==1.9.0`` (a tool of this one change, not a
   dependency of the project).
2. Add to ``deskapp/services/acting.py``::

       @dataclass(frozen=True)
       class Acting:  # who acts, and at which site: every service call's context
           site_id: int
           operator: Operator | None = None


       def acting_operator(acting: Acting) -> Operator:  # a step always somebody's
           if acting.operator is None:
               raise InvalidInput(_("Sign in first."))
           return acting.operator

3. Run it from the repository's root, then fix by hand what it reports::

       .venv/bin/python tools/acting_codemod.py          # rewrite, then list what it could not
       .venv/bin/python tools/acting_codemod.py --check  # only list, change nothing

What it does:

1. Services: every public top-level function of ``deskapp/services/**`` with a
   keyword-only ``site_id`` gets ``acting: Acting`` in its place, loses a keyword-only
   ``actor``, and its body begins (after the docstring) with ``site_id = acting.site_id``
   and ``actor = acting.operator`` (``actor = acting_operator(acting)`` where ``actor``
   was a required ``Operator``), each only if the body uses the name. A file that
   imports the module ``deskapp.services.acting`` as ``acting`` imports it as
   ``acting_rules`` instead (the parameter would hide it).
2. Call sites in ``deskapp``, ``tests``, ``benchmarks`` and ``tools``: a call resolved
   (through the file's imports and the packages' re-exports) to a converted function,
   ``f(..., site_id=X, ..., actor=Y)``, becomes ``f(..., acting=Acting(X, Y))``
   (``Acting(X)`` where Y is None or the function has no actor); inside a converted
   service passing its own ``site_id`` (and its own ``actor``), ``acting=acting``.
3. Imports of ``Acting`` are added where used, then ``ruff --fix --select I001,F401``
   sorts them and drops what became unused, on the files it changed.
4. It reports (file:line) what it cannot do: references to a converted function that
   are not a call (``functools.partial``, tables of functions, ``getattr``), calls with
   ``**kwargs`` or without ``site_id=``, calls it cannot resolve whose name and
   ``site_id=`` look like a converted function's, and lines it made longer than 100.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tokenize
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
)

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "deskapp" / "services"
TREES = ("deskapp", "tests", "benchmarks", "tools")
SKIP = ("deskapp/migrations/versions", "tools/acting_codemod.py")
ACTING_MODULE = "deskapp.services.acting"
MODULE_ALIAS = "acting_rules"
MAX_LINE = 100


@dataclass(frozen=True)
class Converted:
    """A service function the codemod converts (or converted)."""

    name: str
    has_actor: bool
    actor_required: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


def resolve_relative(package: str, node: cst.ImportFrom) -> str:
    base = dotted(node.module) if node.module is not None else ""
    dots = len(node.relative)
    if not dots:
        return base
    parts = package.split(".")
    parts = parts[: len(parts) - dots + 1]
    return ".".join([*parts, base] if base else parts)


def python_files() -> Iterator[Path]:
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not any(relative.startswith(skip) for skip in SKIP):
                yield path


def is_docstring(statement: cst.BaseStatement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString))


def annotation_text(param: cst.Param) -> str:
    if param.annotation is None:
        return ""
    return cst.Module([]).code_for_node(param.annotation.annotation)


def convertible(function: cst.FunctionDef) -> Converted | None:
    """Whether ``function`` (top level) is converted, and how."""
    if function.name.value.startswith("_"):
        return None
    names = {param.name.value: param for param in function.params.kwonly_params}
    if "site_id" not in names or annotation_text(names["site_id"]) != "int":
        return None  # (``site_id: int | None``: a site or none, as ``audit.record`` takes)
    actor = names.get("actor")
    required = actor is not None and "None" not in annotation_text(actor)
    return Converted(function.name.value, actor is not None, required)


def collect() -> tuple[dict[str, Converted], dict[str, str]]:
    """The converted functions by qualified name, and every module's re-exported names."""
    converted: dict[str, Converted] = {}
    aliases: dict[str, str] = {}
    for path in python_files():
        if not path.is_relative_to(ROOT / "deskapp"):
            continue
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for statement in module.body:
            if (isinstance(statement, cst.FunctionDef) and path.is_relative_to(SERVICES)
                    and path != SERVICES / "acting.py"):
                found = convertible(statement)
                if found is not None:
                    converted[f"{name}.{found.name}"] = found
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.ImportFrom) and not isinstance(
                            small.names, cst.ImportStar):
                        source = resolve_relative(package, small)
                        for alias in small.names:
                            local = (alias.asname.name.value
                                     if alias.asname and isinstance(alias.asname.name, cst.Name)
                                     else dotted(alias.name))
                            aliases[f"{name}.{local}"] = f"{source}.{dotted(alias.name)}"
    return converted, aliases


class Names(cst.CSTVisitor):
    """The plain names a body reads or writes (not keywords of calls, not attributes)."""

    def __init__(self) -> None:
        self.found: set[str] = set()
        self.skip: set[int] = set()

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.skip.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.skip.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.skip:
            self.found.add(node.value)


def names_in(nodes: Sequence[cst.CSTNode]) -> set[str]:
    visitor = Names()
    for node in nodes:
        node.visit(visitor)
    return visitor.found


def local_service_imports(function: cst.FunctionDef) -> int:
    """Where ``function``'s leading imports end (an index in its body) if they import
    from ``deskapp.services``, else 0."""
    block = function.body
    if not isinstance(block, cst.IndentedBlock):
        return 0
    lines = list(block.body)
    start = 1 if lines and is_docstring(lines[0]) else 0
    end, services = start, False
    for line in lines[start:]:
        if not (isinstance(line, cst.SimpleStatementLine)
                and all(isinstance(small, cst.Import | cst.ImportFrom) for small in line.body)):
            break
        end += 1
        services = services or any(
            isinstance(small, cst.ImportFrom) and small.module is not None
            and dotted(small.module).startswith("deskapp.services") for small in line.body)
    return end if services else 0


def statement(code: str) -> cst.SimpleStatementLine:
    parsed = cst.parse_statement(code)
    assert isinstance(parsed, cst.SimpleStatementLine)
    return parsed


def without(items: list, index: int, attribute: str = "comma",
            after: str = "whitespace_after_arg") -> list:
    """``items`` less ``items[index]``, its predecessor taking its comma if it was last, or
    its line break if it ended a line."""
    items = list(items)
    gone = items.pop(index)
    if index > 0:
        before = items[index - 1]
        gone_comma = getattr(gone, attribute)
        if index == len(items):
            items[index - 1] = before.with_changes(**{attribute: gone_comma,
                                                      after: getattr(gone, after)})
        elif (isinstance(gone_comma, cst.Comma)
              and isinstance(gone_comma.whitespace_after, cst.ParenthesizedWhitespace)
              and isinstance(getattr(before, attribute), cst.Comma)):
            items[index - 1] = before.with_changes(**{attribute: getattr(before, attribute)
                                                      .with_changes(whitespace_after=gone_comma
                                                                    .whitespace_after)})
    return items


class Codemod(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, PositionProvider)

    def __init__(self, path: Path, converted: dict[str, Converted],
                 aliases: dict[str, str]) -> None:
        super().__init__()
        self.path = path
        self.module = module_name(path)
        self.converted = converted
        self.aliases = aliases
        self.short_names = {info.name for info in converted.values()}
        self.is_service = path.is_relative_to(SERVICES) and path != SERVICES / "acting.py"
        self.depth = 0
        self.classes = 0
        self.frames: list[list] = []
        self.current: Converted | None = None
        self.called: set[int] = set()
        self.in_import = 0
        self.needs: set[str] = set()
        self.reports: list[str] = []
        self.functions = 0
        self.calls = 0
        self.rename_module = False

    # -- resolving -------------------------------------------------------------------

    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def report(self, node: cst.CSTNode, what: str) -> None:
        self.reports.append(f"{self.path.relative_to(ROOT)}:{self.line(node)}: {what}")

    def target(self, node: cst.CSTNode) -> Converted | None:
        try:
            names = self.get_metadata(QualifiedNameProvider, node)
        except KeyError:
            return None
        for qualified in names:
            name = qualified.name
            if qualified.source == QualifiedNameSource.LOCAL:
                name = f"{self.module}.{name}"
            for _ in range(10):
                if name in self.converted:
                    return self.converted[name]
                head, _dot, tail = name.rpartition(".")
                # a re-exported name, or a name of a re-exported module
                if name in self.aliases:
                    name = self.aliases[name]
                elif head in self.aliases:
                    name = f"{self.aliases[head]}.{tail}"
                else:
                    break
        return None

    def imported(self, node: cst.CSTNode) -> bool:
        """Whether ``node`` names something imported (so not a converted function)."""
        try:
            names = self.get_metadata(QualifiedNameProvider, node)
        except KeyError:
            return False
        return any(name.source == QualifiedNameSource.IMPORT for name in names)

    # -- the module alias ``acting`` --------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        if self.is_service:
            self.rename_module = any(
                isinstance(statement, cst.FunctionDef) and convertible(statement)
                for statement in node.body)

    def visit_Import(self, node: cst.Import) -> None:
        self.in_import += 1

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        self.in_import -= 1
        return updated

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.in_import += 1

    def leave_ImportFrom(self, original: cst.ImportFrom,
                         updated: cst.ImportFrom) -> cst.ImportFrom:
        self.in_import -= 1
        if (self.rename_module and dotted(updated.module) == "deskapp.services"
                and not isinstance(updated.names, cst.ImportStar)):
            names = [alias.with_changes(asname=cst.AsName(name=cst.Name(MODULE_ALIAS)))
                     if dotted(alias.name) == "acting" and alias.asname is None else alias
                     for alias in updated.names]
            return updated.with_changes(names=names)
        return updated

    # -- services ---------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes += 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes -= 1
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.called.add(id(node.name))
        self.depth += 1
        # a function importing services itself (to keep them off the start-up path)
        # imports ``Acting`` itself too
        self.frames.append([local_service_imports(node) > 0, 0])
        if self.depth == 1 and self.is_service and not self.classes:
            self.current = convertible(node)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        local, uses = self.frames.pop()
        if local and uses:
            assert isinstance(updated.body, cst.IndentedBlock)
            body = list(updated.body.body)
            at = local_service_imports(updated)
            body.insert(at, statement(f"from {ACTING_MODULE} import Acting"))
            updated = updated.with_changes(body=updated.body.with_changes(body=body))
        if self.depth or self.current is None:
            return updated
        info, self.current = self.current, None
        params = list(updated.params.kwonly_params)
        index = next(i for i, param in enumerate(params) if param.name.value == "site_id")
        if params[index].default is not None:
            self.report(original, f"{info.name}: site_id has a default, left as it is")
            return updated
        params[index] = params[index].with_changes(
            name=cst.Name("acting"), annotation=cst.Annotation(cst.Name("Acting")))
        if info.has_actor:
            params = without(params, next(i for i, param in enumerate(params)
                                          if param.name.value == "actor"),
                             after="whitespace_after_param")
        block = updated.body
        assert isinstance(block, cst.IndentedBlock)
        body = list(block.body)
        start = 1 if body and is_docstring(body[0]) else 0
        used = names_in(body[start:])
        first: list[cst.BaseStatement] = []
        if "site_id" in used:
            first.append(statement("site_id = acting.site_id"))
        if info.actor_required:
            self.needs.add("acting_operator")
            first.append(statement("actor = acting_operator(acting)" if "actor" in used
                                   else "acting_operator(acting)"))
        elif info.has_actor and "actor" in used:
            first.append(statement("actor = acting.operator"))
        if first and start < len(body):
            # the comments above the first statement stay above the first statement
            first[0] = first[0].with_changes(leading_lines=body[start].leading_lines)
            body[start] = body[start].with_changes(leading_lines=())
        body[start:start] = first
        self.needs.add("Acting")
        self.functions += 1
        return updated.with_changes(
            params=updated.params.with_changes(kwonly_params=params),
            body=block.with_changes(body=body))

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if self.rename_module and updated.value == "acting" and not self.in_import:
            try:
                names = self.get_metadata(QualifiedNameProvider, original)
            except KeyError:
                names = set()
            if any(name.name == ACTING_MODULE for name in names):
                return updated.with_changes(value=MODULE_ALIAS)
        return updated

    # -- references that are not calls ------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        self.called.add(id(node.func))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.called.add(id(node.attr))
        self.called.add(id(node.value))  # ``mod`` of ``mod.func``: not a reference itself
        if id(node) not in self.called and not self.in_import:
            self.check_reference(node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.called.add(id(node.keyword))

    def visit_Param(self, node: cst.Param) -> None:
        self.called.add(id(node.name))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.called and not self.in_import:
            self.check_reference(node)

    def check_reference(self, node: cst.CSTNode) -> None:
        found = self.target(node)
        if found is not None:
            self.report(node, f"{found.name} used other than called: convert by hand")

    # -- calls ------------------------------------------------------------------------

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        found = self.target(original.func)
        keywords = {arg.keyword.value: i for i, arg in enumerate(updated.args)
                    if arg.keyword is not None}
        if found is None:
            short = dotted(original.func).rpartition(".")[2]
            if (short in self.short_names and "site_id" in keywords
                    and not self.imported(original.func)):
                self.report(original, f"{dotted(original.func)}(site_id=…) not resolved: "
                                      "convert by hand if it is a service")
            return updated
        if "site_id" not in keywords:
            self.report(original, f"{found.name} called without site_id= (a ** dict?): "
                                  "convert by hand")
            return updated
        if found.has_actor and "actor" not in keywords:
            self.report(original, f"{found.name} called without actor=: convert by hand")
            return updated
        args = list(updated.args)
        site = args[keywords["site_id"]].value
        actor = args[keywords["actor"]].value if found.has_actor else None
        own = self.own_context()
        if (own is not None and isinstance(site, cst.Name) and site.value == "site_id"
                and (actor is None or (own.has_actor and isinstance(actor, cst.Name)
                                       and actor.value == "actor"))):
            value: cst.BaseExpression = cst.Name("acting")
        else:
            values = [cst.Arg(site)]
            if actor is not None and not (isinstance(actor, cst.Name) and actor.value == "None"):
                values = [cst.Arg(site, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(
                    " "))), cst.Arg(actor)]
            value = cst.Call(func=cst.Name("Acting"), args=values)
            self.need_acting()
        args[keywords["site_id"]] = args[keywords["site_id"]].with_changes(
            keyword=cst.Name("acting"), value=value)
        if found.has_actor:
            args = without(args, keywords["actor"])
        self.calls += 1
        return updated.with_changes(args=args)

    def need_acting(self) -> None:
        for frame in reversed(self.frames):
            if frame[0]:
                frame[1] += 1
                return
        self.needs.add("Acting")

    def own_context(self) -> Converted | None:
        return self.current if self.depth >= 1 else None


def cells(line: str) -> int:
    """The width of ``line`` as ruff counts it (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)


def split_long_lines(before: str, after: str) -> str:
    """``after`` with each line it made too long broken (greedily, aligned under the
    bracket or at the line's own indent) between the arguments of the bracket that
    holds an ``acting`` argument or parameter."""
    old = {line for line in before.splitlines() if cells(line) > MAX_LINE}
    lines = after.splitlines(keepends=True)
    long = {number for number, line in enumerate(lines, 1)
            if cells(line.rstrip("\n")) > MAX_LINE and line.rstrip("\n") not in old}
    if not long:
        return after
    candidates: dict[int, list[tuple[int, tuple[int, int]]]] = {}  # row: (column, bracket)
    holders: dict[int, tuple[int, int]] = {}  # row: the bracket holding ``acting``
    stack: list[tuple[int, int]] = []
    previous: tokenize.TokenInfo | None = None
    for token in tokenize.generate_tokens(io.StringIO(after).readline):
        row = token.start[0]
        if (row in long and stack and previous is not None and previous.string == ","
                and previous.start[0] == row):
            candidates.setdefault(row, []).append((token.start[1], stack[-1]))
        if (row in long and stack and previous is not None and previous.string in ",("
                and token.type == tokenize.NAME and token.string == "acting"):
            holders[row] = stack[-1]
        if token.type == tokenize.OP and token.string in "([{":
            stack.append(token.start)
        elif token.type == tokenize.OP and token.string in ")]}":
            stack.pop()
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    for row, bracket in holders.items():
        text = lines[row - 1].rstrip("\n")
        indent = (bracket[1] + 1 if bracket[0] == row
                  else len(text) - len(text.lstrip(" ")))
        columns = [column for column, holder in candidates[row] if holder == bracket]
        pieces, begin, width = [], 0, 0
        for index, column in enumerate(columns):
            following = columns[index + 1] if index + 1 < len(columns) else len(text)
            if width + cells(text[begin:following].rstrip()) > MAX_LINE:
                pieces.append(text[begin:column].rstrip())
                begin, width = column, indent
        pieces.append(text[begin:])
        lines[row - 1] = ("\n" + " " * indent).join(pieces) + "\n"
    return "".join(lines)


def add_imports(module: cst.Module, names: list[str]) -> cst.Module:
    """``module`` importing ``names`` from ``deskapp.services.acting`` at its top level,
    after its last import there (ruff sorts them afterwards)."""
    body = list(module.body)
    have: set[str] = set()
    last = 0
    for index, line in enumerate(body):
        if isinstance(line, cst.SimpleStatementLine) and line.body and all(
                isinstance(small, cst.Import | cst.ImportFrom) for small in line.body):
            last = index + 1
            for small in line.body:
                if (isinstance(small, cst.ImportFrom) and dotted(small.module) == ACTING_MODULE
                        and not isinstance(small.names, cst.ImportStar)):
                    have |= {dotted(alias.name) for alias in small.names}
    missing = [name for name in names if name not in have]
    if not missing:
        return module
    body.insert(last, statement(f"from {ACTING_MODULE} import {', '.join(missing)}"))
    return module.with_changes(body=body)


def long_lines(before: str, after: str) -> list[int]:
    old = {line for line in before.splitlines() if cells(line) > MAX_LINE}
    return [number for number, line in enumerate(after.splitlines(), 1)
            if cells(line) > MAX_LINE and line not in old]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only, write nothing")
    options = parser.parse_args(argv)
    converted, aliases = collect()
    changed: list[Path] = []
    reports: list[str] = []
    functions = calls = 0
    for path in python_files():
        source = path.read_text(encoding="utf-8")
        module = cst.parse_module(source)
        codemod = Codemod(path, converted, aliases)
        result = MetadataWrapper(module).visit(codemod)
        if codemod.needs:
            result = add_imports(result, sorted(codemod.needs))
        functions += codemod.functions
        calls += codemod.calls
        reports.extend(codemod.reports)
        code = split_long_lines(source, result.code)
        if code != source:
            for number in long_lines(source, code):
                reports.append(f"{path.relative_to(ROOT)}:{number}: longer than {MAX_LINE}")
            changed.append(path)
            if not options.check:
                path.write_text(code, encoding="utf-8")
    if changed and not options.check:
        subprocess.run([str(ROOT / ".venv" / "bin" / "ruff"), "check", "--quiet", "--fix",
                        "--select", "I001,F401", *map(str, changed)], cwd=ROOT, check=False)
    print(f"{len(converted)} functions found, {functions} converted, {calls} call sites "
          f"converted, {len(changed)} files changed", file=sys.stderr)
    for line in reports:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
