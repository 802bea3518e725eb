"""The globals that JavaScript runtimes (ECMAScript, browsers, Node.js) provide.

A call whose name, receiver head or declared type is one of these, and that no
workspace definition or import shadows, resolves as `builtin`. Also the method names
of the built-in prototypes (arrays, strings, promises, maps): a call such as
`items.map(f)` on a receiver of unknown type is far more likely one of those than a
workspace method of the same name, so it is never matched by name alone.
"""

from __future__ import annotations

_GLOBAL_NAMES = """
    Object Function Array String Number Boolean Symbol BigInt Math JSON Date RegExp
    Error TypeError RangeError SyntaxError ReferenceError EvalError URIError
    AggregateError Promise Map Set WeakMap WeakSet WeakRef FinalizationRegistry Proxy
    Reflect Intl ArrayBuffer SharedArrayBuffer DataView Atomics Int8Array Uint8Array
    Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float32Array
    Float64Array BigInt64Array BigUint64Array Iterator globalThis undefined NaN Infinity
    parseInt parseFloat isNaN isFinite encodeURI encodeURIComponent decodeURI
    decodeURIComponent escape unescape eval
    console window self document navigator location history localStorage
    sessionStorage performance crypto fetch setTimeout setInterval clearTimeout
    clearInterval setImmediate clearImmediate queueMicrotask structuredClone
    requestAnimationFrame cancelAnimationFrame requestIdleCallback getComputedStyle
    matchMedia alert confirm prompt atob btoa URL URLSearchParams TextEncoder
    TextDecoder AbortController AbortSignal Event EventTarget CustomEvent Blob File
    FileReader FormData Headers Request Response WebSocket Worker MessageChannel
    BroadcastChannel MutationObserver IntersectionObserver ResizeObserver
    XMLHttpRequest Image HTMLElement Element Node NodeList
    require module exports process Buffer global __dirname __filename
    string number boolean object symbol bigint any unknown never void
    Partial Required Readonly Record Pick Omit Exclude Extract NonNullable
    ReturnType Parameters InstanceType Awaited PromiseLike ArrayLike Iterable
    IterableIterator AsyncIterable ReadonlyArray ReadonlyMap ReadonlySet
"""
GLOBALS = frozenset(_GLOBAL_NAMES.split())

_PROTOTYPE_METHOD_NAMES = """
    at concat copyWithin entries every fill filter find findIndex findLast
    findLastIndex flat flatMap forEach includes indexOf join keys lastIndexOf map pop
    push reduce reduceRight reverse shift slice some sort splice toReversed toSorted
    toSpliced unshift values with charAt charCodeAt codePointAt endsWith localeCompare
    match matchAll normalize padEnd padStart repeat replace replaceAll search split
    startsWith substring substr toLowerCase toUpperCase toLocaleLowerCase
    toLocaleUpperCase trim trimStart trimEnd then catch finally get set has delete
    clear add toString toFixed toPrecision toISOString toJSON getTime valueOf call
    apply bind hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString
    next return throw complete log warn error info debug test exec emit on once off
    addEventListener removeEventListener dispatchEvent preventDefault stopPropagation
    querySelector querySelectorAll getElementById appendChild removeChild
    setAttribute getAttribute subscribe unsubscribe pipe write end
"""
PROTOTYPE_METHODS = frozenset(_PROTOTYPE_METHOD_NAMES.split())
