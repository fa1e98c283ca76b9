"""SQL text read the way the database reads it: string literals, quoted names and comments are
tokens, not text to search with patterns.

`wiredesk sql` needs three facts about a query before it runs: how many statements it holds, its
first keyword, and which functions it calls. A `;` or a function name inside a string literal or
a comment is none of these, and `select/**/1` starts with SELECT. The lexer follows PostgreSQL
(nested block comments, dollar quoting, E'' strings with backslashes) or SQLite (flat comments,
[names] and `names`) as asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

# Token kinds whose text is data or commentary, never code.
LITERAL_KINDS = frozenset({"string", "comment", "name"})
_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")
_CLOSING = {'"': '"', "[": "]", "`": "`"}


class SqlSyntaxError(ValueError):
    """The text cannot be split into tokens: an unterminated string, name or comment."""


@dataclass(frozen=True)
class Token:
    """One token: `word`, `name` (quoted identifier), `string`, `comment` or `symbol`."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def identifier(self) -> str | None:
        """The lower-cased name a word or quoted name stands for (None for other tokens).

        Lower-cased even when quoted: PostgreSQL's "PG_READ_FILE" is another function, but
        checking it against a deny list as pg_read_file only errs on the safe side.
        """
        if self.kind == "word":
            return self.text.lower()
        if self.kind == "name":
            quote = self.text[0]
            return (
                self.text[1:-1].replace(quote * 2, quote).lower() if quote == '"' else self.text[1:-1].lower()
            )
        return None


def tokenize(sql: str, dialect: str) -> list[Token]:
    """Every token of `sql`, comments included, whitespace left out."""
    tokens: list[Token] = []
    position = 0
    postgresql = dialect == "postgresql"
    while position < len(sql):
        char = sql[position]
        if char.isspace():
            position += 1
            continue
        end, kind = _scan(sql, position, postgresql, tokens)
        tokens.append(Token(kind, sql[position:end], position, end))
        position = end
    return tokens


def _scan(sql: str, position: int, postgresql: bool, previous: list[Token]) -> tuple[int, str]:
    """The end and kind of the token that starts at `position`."""
    pair = sql[position : position + 2]
    char = sql[position]
    if pair == "--":
        newline = sql.find("\n", position)
        return (len(sql) if newline < 0 else newline), "comment"
    if pair == "/*":
        return _block_comment_end(sql, position, postgresql), "comment"
    if char == "'":
        escapes = postgresql and bool(previous) and _is_escape_prefix(previous[-1], position)
        return _quoted_end(sql, position, "'", backslashes=escapes), "string"
    if char in _CLOSING and (char == '"' or not postgresql):
        return _quoted_end(sql, position, _CLOSING[char], backslashes=False, opening=char), "name"
    if char == "$" and postgresql:
        tag = _DOLLAR_TAG.match(sql, position)
        if tag:
            close = sql.find(tag.group(0), tag.end())
            if close < 0:
                raise SqlSyntaxError("a dollar-quoted string never ends")
            return close + len(tag.group(0)), "string"
    word = _WORD.match(sql, position)
    if word:
        return word.end(), "word"
    return position + 1, "symbol"


def _is_escape_prefix(token: Token, quote_at: int) -> bool:
    """E'...' (PostgreSQL): a string in which backslashes escape."""
    return token.end == quote_at and token.kind == "word" and token.text.lower() == "e"


def _block_comment_end(sql: str, position: int, nested: bool) -> int:
    depth, index = 0, position
    while index < len(sql):
        pair = sql[index : index + 2]
        if pair == "/*" and (nested or depth == 0):
            depth, index = depth + 1, index + 2
        elif pair == "*/":
            depth, index = depth - 1, index + 2
            if depth == 0:
                return index
        else:
            index += 1
    raise SqlSyntaxError("a /* comment never ends")


def _quoted_end(sql: str, position: int, closing: str, *, backslashes: bool, opening: str = "'") -> int:
    index = position + 1
    while index < len(sql):
        char = sql[index]
        if backslashes and char == "\\":
            index += 2
            continue
        if char == closing:
            if closing == opening and sql[index + 1 : index + 2] == closing:
                index += 2
                continue
            return index + 1
        index += 1
    raise SqlSyntaxError("a string literal never ends" if opening == "'" else "a quoted name never ends")


def statements(tokens: list[Token]) -> list[list[Token]]:
    """The code tokens of each statement (comments left out), split at `;`; empty ones dropped."""
    found: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "comment":
            continue
        if token.kind == "symbol" and token.text == ";":
            found.append([])
        else:
            found[-1].append(token)
    return [statement for statement in found if statement]


def called_functions(tokens: list[Token]) -> list[str]:
    """The names of the functions a statement calls: a name or word directly before `(`."""
    code = [token for token in tokens if token.kind != "comment"]
    return [
        name
        for token, following in pairwise(code)
        if following.text == "(" and (name := token.identifier) is not None
    ]


def escape_colons(sql: str, tokens: list[Token]) -> str:
    """`sql` with the colons of literals and comments escaped for SQLAlchemy's text(), which would
    otherwise take `':x'` for the bind parameter :x."""
    parts, position = [], 0
    for token in tokens:
        if token.kind in LITERAL_KINDS and ":" in token.text:
            parts += [sql[position : token.start], token.text.replace(":", "\\:")]
            position = token.end
    return "".join([*parts, sql[position:]])
