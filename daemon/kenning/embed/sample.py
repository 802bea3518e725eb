"""The fixed texts an optimised model file is checked on before it is used.

They are embedded the way kenning embeds: chunks in one batch, queries one at a time.
Chunks are what the chunker writes (a `# path` and `# qualified name + signature` header,
then code or text; most of the long ones pass the 256-token limit); queries are short
search phrases. The batching matters: dynamic int8 quantization scales activations per
batch, so a short text embedded among long ones agrees less with the shipped file than
the same text embedded alone (see `optimize`). Changing these texts changes what
"agrees with the shipped file" means: bump `optimize.RECIPE` so cached files are checked
again.
"""

from __future__ import annotations

CHECK_CHUNKS: tuple[str, ...] = (
    # Long code chunks (more than 256 tokens).
    '''# src/app/config.py
# load_config(path: Path, *, env: Mapping[str, str] | None = None) -> Config
def load_config(path: Path, *, env: Mapping[str, str] | None = None) -> Config:
    """Read a TOML config file, apply environment overrides and validate it."""
    env = os.environ if env is None else env
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from e
    section = raw.get("app", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [app] must be a table")
    for key, value in env.items():
        if not key.startswith("APP_"):
            continue
        name = key.removeprefix("APP_").lower()
        if name in Config.__annotations__:
            section[name] = _coerce(value, Config.__annotations__[name])
    unknown = sorted(set(section) - set(Config.__annotations__))
    if unknown:
        log.warning("ignoring unknown config keys: %s", ", ".join(unknown))
        for name in unknown:
            section.pop(name)
    try:
        config = Config(**section)
    except TypeError as e:
        raise ConfigError(f"{path}: {e}") from e
    if config.workers < 1:
        raise ConfigError(f"{path}: workers must be at least 1")
    if config.timeout <= 0:
        raise ConfigError(f"{path}: timeout must be positive")
    return config
''',
    '''# src/app/http.py
# fetch_with_retry(session: Session, url: str, *, attempts=5, backoff=0.5) -> Response
def fetch_with_retry(
    session: Session, url: str, *, attempts: int = 5, backoff: float = 0.5
) -> Response:
    """GET `url`, retrying connection errors and 5xx answers with exponential backoff."""
    delay = backoff
    last_error: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            response = session.get(url, timeout=10)
        except (ConnectionError, Timeout) as e:
            last_error = e
            log.info("attempt %d/%d for %s failed: %s", attempt, attempts, url, e)
        else:
            if response.status_code < 500:
                return response
            retry_after = response.headers.get("Retry-After")
            if retry_after and retry_after.isdigit():
                delay = max(delay, float(retry_after))
            last_error = HTTPError(f"{response.status_code} from {url}")
        if attempt == attempts:
            break
        time.sleep(delay + random.uniform(0, delay / 2))
        delay = min(delay * 2, 30.0)
    raise RetryError(f"giving up on {url} after {attempts} attempts") from last_error
''',
    '''# src/app/cache.py
# LRUCache
class LRUCache(Generic[K, V]):
    """A least-recently-used cache with a size limit and hit/miss counters."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: K, default: V | None = None) -> V | None:
        try:
            value = self._items[key]
        except KeyError:
            self.misses += 1
            return default
        self._items.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        if key in self._items:
            self._items.move_to_end(key)
        self._items[key] = value
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
''',
    '''# src/app/db.py
# UserRepository.find_active(self, *, since: datetime, limit: int = 100) -> list[User]
    def find_active(self, *, since: datetime, limit: int = 100) -> list[User]:
        """Users who logged in since `since`, most recent first."""
        query = (
            "SELECT id, email, name, last_login FROM users "
            "WHERE last_login >= ? AND disabled = 0 "
            "ORDER BY last_login DESC LIMIT ?"
        )
        with self._connect() as conn:
            rows = conn.execute(query, (since.isoformat(), limit)).fetchall()
        users = []
        for row in rows:
            users.append(
                User(
                    id=row["id"],
                    email=row["email"],
                    name=row["name"],
                    last_login=datetime.fromisoformat(row["last_login"]),
                )
            )
        return users

    def deactivate(self, user_id: int) -> bool:
        with self._connect() as conn:
            cursor = conn.execute("UPDATE users SET disabled = 1 WHERE id = ?", (user_id,))
            conn.commit()
        return cursor.rowcount == 1

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
''',
    """# src/app/cli.py
# main(argv: list[str] | None = None) -> int
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app", description="Process log files.")
    parser.add_argument("paths", nargs="+", type=Path, help="log files or folders")
    parser.add_argument("-o", "--output", type=Path, default=Path("report.json"))
    parser.add_argument("--since", type=date.fromisoformat, help="only lines from this day on")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument("--format", choices=["json", "csv", "table"], default="json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2))
    files: list[Path] = []
    for path in args.paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.log")))
        elif path.exists():
            files.append(path)
        else:
            print(f"app: {path}: no such file", file=sys.stderr)
            return 2
    counts: Counter[str] = Counter()
    for file in files:
        for line in file.read_text(errors="replace").splitlines():
            entry = parse_line(line)
            if entry is None or (args.since and entry.day < args.since):
                continue
            counts[entry.level] += 1
    write_report(args.output, counts, args.format)
    return 0
""",
    '''# src/app/tokenize.py
# tokenize(source: str) -> Iterator[Token]
def tokenize(source: str) -> Iterator[Token]:
    """Split an arithmetic expression into numbers, names, operators and parentheses."""
    pos = 0
    line = 1
    while pos < len(source):
        char = source[pos]
        if char == "\\n":
            line += 1
            pos += 1
        elif char.isspace():
            pos += 1
        elif char.isdigit() or (char == "." and source[pos + 1 : pos + 2].isdigit()):
            match = NUMBER.match(source, pos)
            assert match is not None
            yield Token("number", match.group(), line)
            pos = match.end()
        elif char.isalpha() or char == "_":
            match = NAME.match(source, pos)
            assert match is not None
            yield Token("name", match.group(), line)
            pos = match.end()
        elif source.startswith(("**", "//", "<=", ">=", "==", "!="), pos):
            yield Token("op", source[pos : pos + 2], line)
            pos += 2
        elif char in "+-*/%<>()":
            yield Token("op" if char not in "()" else "paren", char, line)
            pos += 1
        else:
            raise SyntaxError(f"line {line}: unexpected {char!r}")
    yield Token("end", "", line)
''',
    '''# src/app/server.py
# handle_upload(request: Request) -> Response
async def handle_upload(request: Request) -> Response:
    """Store an uploaded file under its content hash and return its URL."""
    if request.content_length and request.content_length > MAX_UPLOAD:
        return json_response({"error": "file too large"}, status=413)
    reader = await request.multipart()
    field = await reader.next()
    if field is None or field.name != "file":
        return json_response({"error": "expected a 'file' field"}, status=400)
    digest = hashlib.sha256()
    size = 0
    tmp = UPLOAD_DIR / f".upload-{uuid.uuid4().hex}"
    async with aiofiles.open(tmp, "wb") as out:
        while chunk := await field.read_chunk(64 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD:
                await out.close()
                tmp.unlink(missing_ok=True)
                return json_response({"error": "file too large"}, status=413)
            digest.update(chunk)
            await out.write(chunk)
    name = digest.hexdigest()
    target = UPLOAD_DIR / name[:2] / name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    log.info("stored %s (%d bytes) from %s", name, size, request.remote)
    return json_response({"url": f"/files/{name}", "size": size}, status=201)
''',
    '''# src/app/graph.py
# shortest_path(graph: Mapping[str, Iterable[tuple[str, float]]], start, goal) -> list[str]
def shortest_path(
    graph: Mapping[str, Iterable[tuple[str, float]]], start: str, goal: str
) -> list[str] | None:
    """Dijkstra's algorithm over a weighted adjacency mapping; None if unreachable."""
    distances: dict[str, float] = {start: 0.0}
    previous: dict[str, str] = {}
    queue: list[tuple[float, str]] = [(0.0, start)]
    visited: set[str] = set()
    while queue:
        distance, node = heapq.heappop(queue)
        if node in visited:
            continue
        visited.add(node)
        if node == goal:
            break
        for neighbour, weight in graph.get(node, ()):
            if weight < 0:
                raise ValueError(f"negative weight on {node} -> {neighbour}")
            candidate = distance + weight
            if candidate < distances.get(neighbour, math.inf):
                distances[neighbour] = candidate
                previous[neighbour] = node
                heapq.heappush(queue, (candidate, neighbour))
    if goal not in distances:
        return None
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    path.reverse()
    return path
''',
    # Short code chunks.
    """# src/app/util.py
# slugify(text: str) -> str
def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
""",
    """# src/app/models.py
# Point
@dataclass(frozen=True)
class Point:
    x: float
    y: float

    def distance_to(self, other: "Point") -> float:
        return math.hypot(self.x - other.x, self.y - other.y)
""",
    """# src/app/__init__.py
# app
from .config import Config, load_config
from .http import fetch_with_retry

__all__ = ["Config", "fetch_with_retry", "load_config"]
__version__ = "2.4.1"
""",
    """# tests/test_cache.py
# test_evicts_least_recently_used() -> None
def test_evicts_least_recently_used() -> None:
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1
""",
    # Documentation chunks.
    """# docs/api.md
# Querying
Return the rows of the table that match every filter, ordered by the primary key.
Filters are column/value pairs; a value of None matches NULL.""",
    '''# src/app/errors.py
# ConfigError
class ConfigError(Exception):
    """Raised when the configuration file cannot be parsed or a required setting is missing."""''',
    """# docs/operations.md
# Workers
The scheduler runs each job in its own worker process and restarts workers that crash.
Jobs that fail three times in a row are moved to the dead-letter queue and reported on the
status page, so an operator can inspect the payload and retry it.""",
    """# README.md
# Installation
Install with `pip install app`, then run `app init` in your project folder to create a
default `app.toml`.""",
)

CHECK_QUERIES: tuple[str, ...] = (
    "parse a config file",
    "retry an HTTP request with exponential backoff",
    "where are uploaded files stored",
    "least recently used cache eviction",
    "convert a title to a URL slug",
    "shortest path in a weighted graph",
    "command line argument parsing",
    "sql query for active users",
)
