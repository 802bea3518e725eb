"""Builds a faster ONNX file from the shipped all-MiniLM-L6-v2 one, without torch.

The shipped file stores int8 weights but turns them back into float inside the graph
(`Cast` then `Mul` by a per-channel scale), so every matrix product runs in float. The
build, on ONNX graphs only:

1. folds each `Cast(int8) * scale` into a float initializer, so the tools below see
   plain weights;
2. runs ONNX Runtime's transformer optimizer for BERT (fused layer norms with their
   residual adds, bias + GELU);
3. fuses each self-attention block into one `com.microsoft.MultiHeadAttention`: the file
   was exported by torch's dynamo exporter, whose attention pattern (with a NaN guard
   after the softmax) the optimizer does not recognise, and the unfused block is about
   40% of the run time once the matrix products are int8;
4. quantizes the weights to int8 per output channel with dynamic (per-batch) int8
   activations, except the output projections of the first `FLOAT_FFN_OUTPUTS`
   feed-forward blocks: their inputs (GELU outputs of the early layers) carry the
   largest outliers, and quantizing them cost the most agreement with the shipped file
   (min cosine over 64 ~40-line code chunks in one batch: 0.989 with everything
   quantized, 0.994 with these two kept in float, at about 10% of the speed).

The result is accepted by `kenning.embed.model` only after its embeddings agree with the
shipped file's on a fixed sample; this module only builds.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto, TensorProto

# Bump when the steps below change: the cached file's folder name carries it.
RECIPE = 1
FLOAT_FFN_OUTPUTS = 2
GELU_OPS = ("Gelu", "BiasGelu", "FastGelu")
MASK_INT32 = "kenning_attention_mask_int32"


class BuildReport(msgspec.Struct, frozen=True):
    """What the build did, recorded beside the file."""

    folded_weights: int
    fused_attention: int
    int8_matmuls: int
    float_matmuls: int


def build_optimized_onnx(
    source: Path, target: Path, *, num_heads: int, hidden_size: int
) -> BuildReport:
    """Write the optimised form of the ONNX file `source` to `target`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    model = onnx.load(str(source))
    folded = fold_int8_weights(model.graph)

    options = FusionOptions("bert")
    # Symbolic shape inference needs sympy, which kenning does not depend on; the fusions
    # used here do not need it.
    options.enable_shape_inference = False
    with _quiet_onnxruntime_tools():
        optimized = optimize_model(
            model,
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            optimization_options=options,
            opt_level=0,
        )
    fused = fuse_attention(optimized, num_heads)
    graph = optimized.model.graph
    _name_unnamed_nodes(graph)
    keep_float = ffn_output_matmuls(graph)[:FLOAT_FFN_OUTPUTS]
    with _quiet_onnxruntime_tools():
        quantize_dynamic(
            optimized.model,
            str(target),
            per_channel=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gather"],
            nodes_to_exclude=keep_float,
        )
    ops = [node.op_type for node in onnx.load(str(target), load_external_data=False).graph.node]
    return BuildReport(
        folded_weights=folded,
        fused_attention=fused,
        int8_matmuls=sum(op in ("MatMulInteger", "DynamicQuantizeMatMul") for op in ops),
        float_matmuls=len(keep_float),
    )


def fold_int8_weights(graph: GraphProto) -> int:
    """Replace each `Mul(Cast(int8 initializer), scale initializer)` by its float value."""
    from onnx import TensorProto, numpy_helper

    inits = {t.name: t for t in graph.initializer}
    consumers = _consumers(graph)
    remove: list[NodeProto] = []
    folded: list[TensorProto] = []
    for cast in graph.node:
        if cast.op_type != "Cast" or cast.input[0] not in inits:
            continue
        if inits[cast.input[0]].data_type not in (TensorProto.INT8, TensorProto.UINT8):
            continue
        users = consumers[cast.output[0]]
        if len(users) != 1 or users[0].op_type != "Mul":
            continue
        mul = users[0]
        scale = mul.input[1] if mul.input[0] == cast.output[0] else mul.input[0]
        if scale not in inits or inits[scale].data_type != TensorProto.FLOAT:
            continue
        weight = numpy_helper.to_array(inits[cast.input[0]]).astype("float32")
        weight = weight * numpy_helper.to_array(inits[scale])
        folded.append(numpy_helper.from_array(weight.astype("float32"), mul.output[0]))
        remove += [cast, mul]
    for node in remove:
        graph.node.remove(node)
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept + folded)
    return len(folded)


@dataclass(frozen=True)
class _Attention:
    query: str  # (batch, sequence, hidden) projections, bias added
    key: str
    value: str
    scale: float
    output: NodeProto  # the Reshape that yields (batch, sequence, hidden)


def fuse_attention(model: Any, num_heads: int) -> int:
    """Fuse every softmax attention block of an `OnnxModel` into `MultiHeadAttention`.

    All or nothing: if one block does not match the expected pattern, nothing is fused
    (and the build goes on without it). The mask must be the key-padding mask computed
    from the `attention_mask` input; the fused op takes that input directly.
    """
    from onnx import TensorProto, helper

    graph: GraphProto = model.model.graph
    if "attention_mask" not in {i.name for i in graph.input}:
        return 0
    producer = {out: node for node in graph.node for out in node.output}
    consumers = _consumers(graph)
    inits = {t.name for t in graph.initializer}
    scalars = {
        t.name: float(_array(t).reshape(-1)[0])
        for t in graph.initializer
        if len(t.dims) == 0 or (len(t.dims) == 1 and t.dims[0] == 1)
    }
    blocks = []
    for softmax in [n for n in graph.node if n.op_type == "Softmax"]:
        block = _match_attention(softmax, producer, consumers, inits, scalars)
        if block is None:
            return 0
        blocks.append(block)
    if not blocks:
        return 0
    nodes = [
        helper.make_node(
            "Cast", ["attention_mask"], [MASK_INT32], to=TensorProto.INT32, name=MASK_INT32
        )
    ]
    for i, block in enumerate(blocks):
        output = block.output.output[0]
        block.output.output[0] = f"{output}_unfused"  # left dangling, pruned below
        nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [block.query, block.key, block.value, "", MASK_INT32],
                [output],
                name=f"kenning_attention_{i}",
                domain="com.microsoft",
                num_heads=num_heads,
                scale=block.scale,
            )
        )
    graph.node.extend(nodes)
    if not any(o.domain == "com.microsoft" for o in model.model.opset_import):
        model.model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    model.prune_graph()
    model.topological_sort()
    return len(blocks)


def _match_attention(
    softmax: NodeProto,
    producer: dict[str, NodeProto],
    consumers: dict[str, list[NodeProto]],
    inits: set[str],
    scalars: dict[str, float],
) -> _Attention | None:
    add = producer.get(softmax.input[0])
    if add is None or add.op_type != "Add":
        return None
    parents = [producer.get(name) for name in add.input]
    scores = next((p for p in parents if p is not None and p.op_type == "MatMul"), None)
    mask = next((p for p in parents if p is not None and p is not scores), None)
    if scores is None or mask is None or mask.op_type != "Where":
        return None
    query = _projection(scores.input[0], producer, inits, scalars)
    key = _projection(scores.input[1], producer, inits, scalars)
    if query is None or key is None:
        return None

    probs = softmax.output[0]
    users = consumers[probs]
    # The exporter guards rows whose every key is masked (softmax gives NaN) with
    # IsNaN -> Where. Every row here attends to at least [CLS], so the guard goes.
    guard = next((u for u in users if u.op_type == "Where" and u.input[2] == probs), None)
    if guard is not None:
        probs = guard.output[0]
        users = consumers[probs]
    if len(users) != 1 or users[0].op_type != "MatMul" or users[0].input[0] != probs:
        return None
    context = users[0]
    value = _projection(context.input[1], producer, inits, scalars)
    if value is None:
        return None
    after = consumers[context.output[0]]
    if len(after) != 1 or after[0].op_type != "Transpose":
        return None
    perm = next((list(a.ints) for a in after[0].attribute if a.name == "perm"), None)
    merged = consumers[after[0].output[0]]
    if perm != [0, 2, 1, 3] or len(merged) != 1 or merged[0].op_type != "Reshape":
        return None
    return _Attention(query[0], key[0], value[0], query[1] * key[1], merged[0])


def _projection(
    name: str, producer: dict[str, NodeProto], inits: set[str], scalars: dict[str, float]
) -> tuple[str, float] | None:
    """Walk from a head-split tensor back to its linear projection `Add(MatMul, bias)`.

    Reshapes and transposes (the head split, the key transpose) are skipped and scalar
    `Mul`s (the exporter scales both query and key by head_size ** -0.25) are collected.
    """
    scale = 1.0
    for _ in range(8):
        node = producer.get(name)
        if node is None:
            return None
        if node.op_type in ("Reshape", "Transpose"):
            name = node.input[0]
        elif node.op_type == "Mul":
            factor = next((scalars[i] for i in node.input if i in scalars), None)
            if factor is None:
                return None
            scale *= factor
            name = next(i for i in node.input if i not in scalars)
        elif node.op_type == "Add" and any(i in inits for i in node.input):
            matmul = producer.get(next(i for i in node.input if i not in inits))
            if matmul is None or matmul.op_type != "MatMul":
                return None
            return node.output[0], scale
        else:
            return None
    return None


def ffn_output_matmuls(graph: GraphProto) -> list[str]:
    """Names of the feed-forward output projections (weights applied to a GELU), in order."""
    producer = {out: node for node in graph.node for out in node.output}
    inits = {t.name for t in graph.initializer}
    found = []
    for node in graph.node:
        source = producer.get(node.input[0]) if node.input else None
        weighted = node.op_type == "MatMul" and node.input[1] in inits
        if weighted and source is not None and source.op_type in GELU_OPS:
            found.append(node.name)
    return found


def _name_unnamed_nodes(graph: GraphProto) -> None:
    # `quantize_dynamic` excludes nodes by name.
    for i, node in enumerate(graph.node):
        if not node.name:
            node.name = f"kenning_{node.op_type}_{i}"


def _consumers(graph: GraphProto) -> dict[str, list[NodeProto]]:
    consumers: dict[str, list[NodeProto]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)
    return consumers


def _array(tensor: TensorProto) -> Any:
    from onnx import numpy_helper

    return numpy_helper.to_array(tensor)


class _DropAdvice(logging.Filter):
    """Drops the tools' advice that does not apply here (pre-processing, shape inference)."""

    ADVICE = ("Please consider to run pre-processing", "symbolic shape inference disabled")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.ADVICE)


@contextlib.contextmanager
def _quiet_onnxruntime_tools() -> Iterator[None]:
    # The quantizer warns on the root logger, the optimizer's fusions on their own loggers;
    # both would end up in the daemon's log at every first start. A logger's filter only
    # sees records logged on that logger, hence one per logger.
    names = ["", "fusion_skiplayernorm", "onnxruntime.transformers.fusion_skiplayernorm"]
    loggers = [logging.getLogger(name) for name in names]
    drop = _DropAdvice()
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
