/**
 * kenning's own protocol, mirrored from `daemon/kenning/server/protocol.py`: one
 * interface per msgspec struct (same camelCase wire names, optional where the Python
 * field has a default), every `kenning/*` request as a typed `RequestType`, the status
 * notification and the command ids. `docs/protocol.md` documents each field.
 *
 * `tests/clients/test_protocol_ts.py` parses this file and fails when it drifts from
 * the Python module, so keep to the shapes it reads: `export interface Name [extends
 * Base] { field[?]: Type; }` with one field a line, `export type Alias = ...;` for
 * literal unions, `export const NAME = value;` for each constant of the Python module
 * (the same name), and `new RequestType<Params, Result, void>('method')` for each
 * `Method`. A Python struct whose name starts with `_` is mirrored without it.
 */

import { NotificationType, RequestType } from 'vscode-languageclient';

// -- shared shapes ------------------------------------------------------------------

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextDocumentIdentifier {
  uri: string;
}

/** A symbol in results: a definition, or an external placeholder (no `uri`). */
export interface Node {
  id: string;
  name: string;
  qualname: string;
  kind: string;
  uri: string | null;
  range: Range;
  selectionRange: Range;
  signature?: string;
}

/**
 * Names the symbol a request is about: `textDocument` + `position` (the symbol under
 * the cursor, or the function around it), or `symbol` (a name or an id), not both.
 */
export interface Target {
  textDocument?: TextDocumentIdentifier | null;
  position?: Position | null;
  symbol?: string | null;
}

// -- kenning/search -----------------------------------------------------------------

export type SearchMode = 'hybrid' | 'text' | 'vector';
export const MAX_LIMIT = 200;

export interface SearchFilters {
  languages?: string[];
  /** gitignore-style patterns, relative to the workspace folder. */
  pathGlobs?: string[];
  kinds?: string[];
}

export interface SearchParams {
  query: string;
  limit?: number;
  filters?: SearchFilters;
  mode?: SearchMode;
}

export interface SearchHit {
  uri: string;
  range: Range;
  symbol: string;
  symbolId: string;
  kind: string;
  language: string;
  snippet: string;
  score: number;
  /** Which rankers found it: `text` (BM25), `symbol` (name match), `vector`. */
  sources: string[];
}

export interface SearchResult {
  query: string;
  hits: SearchHit[];
  /** Every chunk had a vector when the search ran. */
  vectorsComplete: boolean;
  vectorCoverage: number;
  /** Why a ranker was left out (the model failed to load, say); empty when all ran. */
  note?: string;
}

// -- kenning/callGraph and kenning/impact -------------------------------------------

export type Direction = 'incoming' | 'outgoing' | 'both';
export const MAX_DEPTH = 10;

export interface CallGraphParams extends Target {
  direction?: Direction;
  depth?: number;
  /** Edges less certain than this are neither shown nor followed; 0 keeps them all. */
  minConfidence?: number;
}

export interface Edge {
  caller: string;
  callee: string;
  uri: string;
  range: Range;
  resolution: string;
  confidence: number;
}

export interface CallGraphResult {
  root: Node;
  direction: Direction;
  depth: number;
  nodes: Node[];
  /** Every edge but the `candidate` ones, which come apart in `candidates`. */
  edges: Edge[];
  candidates: Edge[];
  minConfidence: number;
}

export interface ImpactParams extends Target {
  depth?: number;
  /** Edges less certain than this are not followed; 0 follows them all. */
  minConfidence?: number;
}

export interface ImpactCaller {
  symbol: Node;
  /** Calls between this caller and the root (1: calls it directly). */
  distance: number;
  /** Where this caller calls the next symbol towards the root. */
  callSites: Range[];
  /** Its own call's resolution kind on its most certain chain to the root. */
  resolution: string;
  /** That chain's confidence: the product of its edges' confidences. */
  confidence: number;
}

export interface ImpactFile {
  uri: string;
  callers: ImpactCaller[];
}

export interface ImpactResult {
  root: Node;
  depth: number;
  /** Callers with a chain of resolved calls to the root. */
  files: ImpactFile[];
  /** Callers whose every chain passes a `candidate` edge, apart. */
  candidates: ImpactFile[];
  /** Callers in `files` and `candidates` together. */
  totalCallers: number;
  minConfidence: number;
}

// -- kenning/status (request and notification) --------------------------------------

export type Phase = 'starting' | 'indexing' | 'embedding' | 'idle' | 'read-only' | 'error';
export type Health = 'ok' | 'warning' | 'error';

// The Python struct has no fields; the server takes `{}` (or no params).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StatusParams {}

export interface StatusCounts {
  phase: Phase;
  health: Health;
  message: string;
  files: number;
  symbols: number;
  chunks: number;
  embedded: number;
  pending: number;
  failed: number;
  /** Texts embedded per second by the current (or last) embedding run. */
  throughput: number;
}

export interface FolderStatus extends StatusCounts {
  uri: string;
  embeddingPaused: boolean;
  readOnly: boolean;
}

/** Totals over the workspace folders; the worst phase and health win. */
export interface StatusResult extends StatusCounts {
  folders: FolderStatus[];
}

// -- workspace/executeCommand -------------------------------------------------------

/** What `kenning.reindex`, `kenning.pauseEmbedding` and `kenning.resumeEmbedding` return. */
export interface CommandResult {
  message: string;
  targets: string[];
}

// -- kenning/symbols ----------------------------------------------------------------

export interface SymbolsParams {
  /** A name, a dotted suffix or a qualified name; fuzzy when few names contain it. */
  query: string;
  limit?: number;
}

export interface SymbolsResult {
  symbols: Node[];
}

// -- kenning/describe ----------------------------------------------------------------

export const MAX_DEFINITIONS = 20;
export const MAX_CODE_CHARS = 20000;
export const MAX_NEIGHBOURS = 50;

export interface DescribeParams {
  /** A qualified name, a dotted suffix, a bare name or a symbol id. */
  symbol: string;
  limit?: number;
  maxCodeChars?: number;
  neighbours?: number;
}

export interface SymbolDetail {
  symbol: Node;
  docstring: string;
  /** The definition as indexed (a class: its outline), from line `codeLine` on. */
  code: string;
  codeLine: number;
  truncated: boolean;
  callers: Node[];
  callees: Node[];
  callerCount: number;
  calleeCount: number;
}

export interface DescribeResult {
  query: string;
  symbols: SymbolDetail[];
  total: number;
  suggestions: string[];
}

// -- the commands as requests (for HTTP clients, which have no executeCommand) -------

export interface ReindexParams {
  /** File or folder URIs inside the workspace; none: every workspace folder. */
  uris?: string[];
}

// No fields, as StatusParams.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EmbeddingParams {}

// -- kenning/peer/document: a second daemon forwards its editor's buffers ----------

export type PeerEvent = 'open' | 'change' | 'save' | 'close' | 'detach';

export interface PeerDocumentParams {
  session: string;
  event: PeerEvent;
  uri?: string;
  text?: string | null;
  version?: number;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Empty {}

// -- kenning/peer/hierarchy and kenning/peer/calls: a second daemon's call hierarchy --

export interface HierarchyParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
}

export interface HierarchyResult {
  nodes: Node[];
}

export interface CallsParams {
  symbolId: string;
  incoming: boolean;
  minConfidence?: number;
}

export interface Call {
  node: Node;
  ranges: Range[];
  resolution: string;
  confidence: number;
}

export interface CallsResult {
  calls: Call[];
}

// -- the method table ---------------------------------------------------------------

export const SEARCH = new RequestType<SearchParams, SearchResult, void>('kenning/search');
export const CALL_GRAPH = new RequestType<CallGraphParams, CallGraphResult, void>(
  'kenning/callGraph',
);
export const IMPACT = new RequestType<ImpactParams, ImpactResult, void>('kenning/impact');
export const STATUS = new RequestType<StatusParams, StatusResult, void>('kenning/status');

export const SYMBOLS = new RequestType<SymbolsParams, SymbolsResult, void>('kenning/symbols');
export const DESCRIBE = new RequestType<DescribeParams, DescribeResult, void>(
  'kenning/describe',
);
export const REINDEX_REQUEST = new RequestType<ReindexParams, CommandResult, void>(
  'kenning/reindex',
);
export const PAUSE_REQUEST = new RequestType<EmbeddingParams, CommandResult, void>(
  'kenning/pauseEmbedding',
);
export const RESUME_REQUEST = new RequestType<EmbeddingParams, CommandResult, void>(
  'kenning/resumeEmbedding',
);

/** Served over LSP and HTTP alike. */
export const REQUESTS = [
  SEARCH,
  CALL_GRAPH,
  IMPACT,
  STATUS,
  SYMBOLS,
  DESCRIBE,
  REINDEX_REQUEST,
  PAUSE_REQUEST,
  RESUME_REQUEST,
] as const;
/** HTTP only, between daemons. */
export const PEER_DOCUMENT = new RequestType<PeerDocumentParams, Empty, void>(
  'kenning/peer/document',
);
export const PEER_HIERARCHY = new RequestType<HierarchyParams, HierarchyResult, void>(
  'kenning/peer/hierarchy',
);
export const PEER_CALLS = new RequestType<CallsParams, CallsResult, void>('kenning/peer/calls');
/** Methods only a second daemon sends (to the owner of a folder it has open). */
export const PEER_REQUESTS = [PEER_DOCUMENT, PEER_HIERARCHY, PEER_CALLS] as const;
/** Server -> client: the `kenning/status` request's result, whenever phase or counts move. */
export const STATUS_NOTIFICATION = 'kenning/status';
export const StatusNotification = new NotificationType<StatusResult>(STATUS_NOTIFICATION);

export const REINDEX = 'kenning.reindex';
export const PAUSE_EMBEDDING = 'kenning.pauseEmbedding';
export const RESUME_EMBEDDING = 'kenning.resumeEmbedding';
export const COMMANDS = [REINDEX, PAUSE_EMBEDDING, RESUME_EMBEDDING] as const;
