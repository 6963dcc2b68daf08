# Writes Keras-layout fixtures with h5py for what the real files in
# ../shared/keras-models lack, and computes their predictions with NumPy,
# for kerasfile_test.go. Input (JSON on stdin): {"dir": output folder}.
# Output: {"x": inputs (4, 8, 8, 3), "files": {name: predictions}}.
#
# - functional.keras: Keras 3 .keras zip of a Functional ResNet block with
#   BatchNormalization (testdata/keras3_functional_resnet.json), its layers
#   renamed so that their names differ from the class-based paths Keras 3
#   stores them under (layers/conv2d holds "stem_conv", layers/conv2d_1
#   "a_conv", ...), with an optimizer's variables.
# - keras2_functional.h5: the same block in Keras 2's legacy layout
#   (testdata/keras2_model_resnet.json, class_name "Model"): fixed-length
#   bytes attributes, layer_names and weight_names as NumPy bytes arrays,
#   empty float64 weight_names for layers without weights, weights at
#   model_weights/<layer>/<layer>/<var>:0.
# - keras2_sequential.h5: a Keras 2.1 Sequential whose config is a bare
#   list of layers, with a nested Sequential [BatchNormalization, Dense]
#   whose weights Keras 2 lists trainable first (gamma, beta, kernel,
#   bias, then moving_mean, moving_variance).
# - keras2_functional.weights.h5 and keras2_functional.json: the same
#   block as Keras 2's save_weights and to_json write them.
# - keras1.h5: a file with no keras_version (Keras 1), to be refused.
import io, json, os, sys, zipfile

import h5py
import numpy as np

req = json.load(sys.stdin)
out_dir = req["dir"]
rng = np.random.default_rng(7)
here = os.path.dirname(os.path.abspath(__file__))

RENAME = {"conv2d": "stem_conv", "conv2d_1": "a_conv", "batch_normalization": "stem_bn",
          "batch_normalization_1": "a_bn", "dense": "head"}


def renamed(path):
    text = open(path).read()
    for old, new in RENAME.items():
        text = text.replace('"%s"' % old, '"%s"' % new)
    return json.loads(text)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32) * 0.5


# The block's weights, by layer name, in Keras's variable order.
W = {
    "stem_conv": [rand(3, 3, 3, 4), rand(4)],
    "stem_bn": [rand(4) + 1, rand(4), rand(4), np.abs(rand(4)) + 0.5],
    "a_conv": [rand(3, 3, 4, 4), rand(4)],
    "a_bn": [rand(4) + 1, rand(4), rand(4), np.abs(rand(4)) + 0.5],
    "head": [rand(4, 3), rand(3)],
}
VARS = {"Conv2D": ["kernel", "bias"], "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"],
        "Dense": ["kernel", "bias"]}


def conv_same(x, k, b):
    kh, kw = k.shape[:2]
    n, h, w, _ = x.shape
    p = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    y = np.zeros((n, h, w, k.shape[3]))
    for i in range(kh):
        for j in range(kw):
            y += p[:, i:i + h, j:j + w, :] @ k[i, j].astype(np.float64)
    return y + b


def bn(x, g, b, m, v, eps=1e-3):
    return (x - m) / np.sqrt(v.astype(np.float64) + eps) * g + b


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def block(x):
    y1 = np.maximum(bn(conv_same(x, *W["stem_conv"]), *W["stem_bn"]), 0)
    y2 = bn(conv_same(y1, *W["a_conv"]), *W["a_bn"])
    z = np.maximum(y1 + y2, 0).mean(axis=(1, 2))
    return softmax(z @ W["head"][0] + W["head"][1])


x = rng.random((4, 8, 8, 3))
files = {}

# functional.keras (saving_lib.py's layout).
cfg = renamed(os.path.join(here, "keras3_functional_resnet.json"))
cfg["compile_config"] = {"optimizer": "adam", "loss": "categorical_crossentropy", "loss_weights": None,
                         "metrics": ["accuracy"], "weighted_metrics": None, "run_eagerly": False,
                         "steps_per_execution": 1, "jit_compile": False}
buf = io.BytesIO()
with h5py.File(buf, "w") as f:
    used = {}
    for l in cfg["config"]["layers"]:
        c = l["class_name"]
        snake = {"InputLayer": "input_layer", "Conv2D": "conv2d", "BatchNormalization": "batch_normalization",
                 "ReLU": "re_lu", "Add": "add", "Activation": "activation",
                 "GlobalAveragePooling2D": "global_average_pooling2d", "Dense": "dense"}[c]
        if snake in used:
            used[snake] += 1
            snake = "%s_%d" % (snake, used[snake])
        else:
            used[snake] = 0
        g = f.create_group("layers/%s/vars" % snake)
        for i, v in enumerate(W.get(l["name"], [])):
            g.create_dataset(str(i), data=v)
    f.create_group("vars")
    o = f.create_group("optimizer/vars")
    o.create_dataset("0", data=np.int64(12))
    o.create_dataset("1", data=np.float32(0.001))
with zipfile.ZipFile(os.path.join(out_dir, "functional.keras"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2026-12-06@23:00:00"}))
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", buf.getvalue())
files["functional.keras"] = block(x).tolist()


def keras2_attrs(f, config, training):
    f.attrs["keras_version"] = b"2.4.0"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["model_config"] = json.dumps(config).encode("utf8")
    f.attrs["training_config"] = json.dumps(training).encode("utf8")


def keras2_layer(mw, name, weights):
    g = mw.create_group(name)
    names = [("%s/%s:0" % (name, n)).encode("utf8") for n, _ in weights]
    g.attrs["weight_names"] = np.array(names) if names else np.array([], dtype=np.float64)
    for n, v in weights:
        g.create_dataset(("%s/%s:0" % (name, n)), data=v)


# keras2_functional.h5 (Keras 2's hdf5_format.py layout).
cfg = renamed(os.path.join(here, "keras2_model_resnet.json"))
training = {"loss": "categorical_crossentropy", "metrics": ["accuracy"], "weighted_metrics": None,
            "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {
                "name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
                "epsilon": 1e-07, "amsgrad": False}}}
with h5py.File(os.path.join(out_dir, "keras2_functional.h5"), "w") as f:
    keras2_attrs(f, cfg, training)
    mw = f.create_group("model_weights")
    mw.attrs["keras_version"] = b"2.4.0"
    mw.attrs["backend"] = b"tensorflow"
    mw.attrs["layer_names"] = np.array([l["name"].encode() for l in cfg["config"]["layers"]])
    for l in cfg["config"]["layers"]:
        keras2_layer(mw, l["name"], list(zip(VARS.get(l["class_name"], []), W.get(l["name"], []))))
files["keras2_functional.h5"] = block(x).tolist()

# keras2_functional.weights.h5 and .json: Keras 2's save_weights (the
# model_weights layout at the root) and to_json, for LoadKerasWeights.
with h5py.File(os.path.join(out_dir, "keras2_functional.weights.h5"), "w") as f:
    f.attrs["keras_version"] = b"2.4.0"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["layer_names"] = np.array([l["name"].encode() for l in cfg["config"]["layers"]])
    for l in cfg["config"]["layers"]:
        keras2_layer(f, l["name"], list(zip(VARS.get(l["class_name"], []), W.get(l["name"], []))))
with open(os.path.join(out_dir, "keras2_functional.json"), "w") as f:
    json.dump(cfg, f)

# keras2_sequential.h5: bare-list Sequential, nested [BN, Dense], Dense.
def glorot():
    return {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}


def dense(name, units, act, extra=None):
    c = {"name": name, "trainable": True, "units": units, "activation": act, "use_bias": True,
         "kernel_initializer": glorot(), "bias_initializer": {"class_name": "Zeros", "config": {}},
         "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
         "kernel_constraint": None, "bias_constraint": None}
    c.update(extra or {})
    return {"class_name": "Dense", "config": c}


bn_cfg = {"class_name": "BatchNormalization", "config": {
    "name": "norm", "trainable": True, "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True,
    "scale": True, "beta_initializer": {"class_name": "Zeros", "config": {}},
    "gamma_initializer": {"class_name": "Ones", "config": {}},
    "moving_mean_initializer": {"class_name": "Zeros", "config": {}},
    "moving_variance_initializer": {"class_name": "Ones", "config": {}},
    "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
    "batch_input_shape": [None, 6], "dtype": "float32"}}
inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": [bn_cfg, dense("hidden", 5, "relu")]}}
seq_cfg = {"class_name": "Sequential", "config": [inner, dense("out", 2, "softmax")]}
S = {"gamma": rand(6) + 1, "beta": rand(6), "moving_mean": rand(6), "moving_variance": np.abs(rand(6)) + 0.5,
     "hidden_k": rand(6, 5), "hidden_b": rand(5), "out_k": rand(5, 2), "out_b": rand(2)}
with h5py.File(os.path.join(out_dir, "keras2_sequential.h5"), "w") as f:
    f.attrs["keras_version"] = b"2.1.6"
    f.attrs["backend"] = b"tensorflow"
    f.attrs["model_config"] = json.dumps(seq_cfg).encode("utf8")
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = np.array([b"inner", b"out"])
    g = mw.create_group("inner")
    order = [("norm/gamma:0", S["gamma"]), ("norm/beta:0", S["beta"]), ("hidden/kernel:0", S["hidden_k"]),
             ("hidden/bias:0", S["hidden_b"]), ("norm/moving_mean:0", S["moving_mean"]),
             ("norm/moving_variance:0", S["moving_variance"])]
    g.attrs["weight_names"] = np.array([n.encode() for n, _ in order])
    for n, v in order:
        g.create_dataset(n, data=v)
    keras2_layer(mw, "out", [("kernel", S["out_k"]), ("bias", S["out_b"])])
xs = rng.random((4, 6))
h = np.maximum(bn(xs, S["gamma"], S["beta"], S["moving_mean"], S["moving_variance"]) @ S["hidden_k"] + S["hidden_b"], 0)
files["keras2_sequential.h5"] = softmax(h @ S["out_k"] + S["out_b"]).tolist()

# keras1.h5: Keras 1 wrote no keras_version.
with h5py.File(os.path.join(out_dir, "keras1.h5"), "w") as f:
    f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": [
        {"class_name": "Dense", "config": {"name": "dense_1", "output_dim": 2, "input_dim": 3}}]}).encode()
    f.create_group("model_weights").attrs["layer_names"] = np.array([b"dense_1"])

print(json.dumps({"x": x.tolist(), "xs": xs.tolist(), "files": files}))
