# An independent reading of a Keras model file and forward pass, for
# kerasfile_test.go: h5py reads the weights, NumPy (float64) runs the
# layers the test models use. Input (JSON on stdin): {"model": path,
# "mnist": folder with t10k-*-ubyte.gz, "rows": n, "shape": per-image
# input shape, "binarize": x > 0.5 after x/255}. Output: the test accuracy over all 10,000 images (x/255)
# and the predictions of the first n.
import gzip, io, json, re, sys, zipfile

import h5py
import numpy as np

req = json.load(sys.stdin)


def snake(name):  # keras/src/utils/naming.py to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras3_weights(h5, layers, prefix):
    """Weights by layer name, found at layers/<snake class>[_N]/vars/<i>."""
    out, used = {}, {}
    for l in layers:
        if l["class_name"] == "InputLayer":
            continue  # Sequential.layers leaves the InputLayer out
        n = snake(l["class_name"])
        if n in used:
            used[n] += 1
            n = "%s_%d" % (n, used[n])
        else:
            used[n] = 0
        path = prefix + "layers/" + n
        if l["class_name"] == "Sequential":
            out.update(keras3_weights(h5, l["config"]["layers"], path + "/"))
            continue
        g = h5[path + "/vars"]
        out[l["config"]["name"]] = [np.array(g[str(i)], dtype=np.float64) for i in range(len(g))]
    return out


def legacy_weights(h5):
    g = h5["model_weights"]
    out = {}
    for name in g.attrs["layer_names"]:
        name = name.decode() if isinstance(name, bytes) else name
        wn = g[name].attrs["weight_names"]
        out[name] = [np.array(g[name][w.decode() if isinstance(w, bytes) else w], dtype=np.float64) for w in wn]
    return out


path = req["model"]
if zipfile.is_zipfile(path):
    z = zipfile.ZipFile(path)
    config = json.loads(z.read("config.json"))
    h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    weights = keras3_weights(h5, config["config"]["layers"], "")
else:
    h5 = h5py.File(path, "r")
    config = json.loads(h5.attrs["model_config"])
    weights = legacy_weights(h5)


def act(x, name):
    if name == "relu":
        return np.maximum(x, 0)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    assert name == "linear", name
    return x


def forward(layers, x):
    for l in layers:
        c, cfg = l["class_name"], l["config"]
        if c in ("InputLayer", "Dropout", "RandomRotation", "RandomTranslation", "RandomZoom"):
            continue  # identity at inference
        if c == "Sequential":
            x = forward(cfg["layers"], x)
        elif c == "Conv2D":
            assert cfg["padding"] == "valid" and tuple(cfg["strides"]) == (1, 1)
            k, b = weights[cfg["name"]]
            kh, kw, ci, co = k.shape
            n, h, w, _ = x.shape
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, co))
            for i in range(kh):
                for j in range(kw):
                    y += x[:, i:i + oh, j:j + ow, :] @ k[i, j]
            x = act(y + b, cfg["activation"])
        elif c == "MaxPooling2D":
            assert tuple(cfg["pool_size"]) == (2, 2) and tuple(cfg["strides"]) == (2, 2) and cfg["padding"] == "valid"
            n, h, w, ch = x.shape
            x = x[:, :h // 2 * 2, :w // 2 * 2, :].reshape(n, h // 2, 2, w // 2, 2, ch).max(axis=(2, 4))
        elif c == "Flatten":
            x = x.reshape(x.shape[0], -1)
        elif c == "Dense":
            k, b = weights[cfg["name"]]
            x = act(x @ k + b, cfg["activation"])
        else:
            raise ValueError("layer class %s" % c)
    return x


def idx(name):
    with gzip.open(req["mnist"] + "/" + name) as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


x = idx("t10k-images-idx3-ubyte.gz").astype(np.float64) / 255
if req.get("binarize"):
    x = (x > 0.5).astype(np.float64)
y = idx("t10k-labels-idx1-ubyte.gz")
x = x.reshape((x.shape[0],) + tuple(req["shape"]))
pred = np.concatenate([forward(config["config"]["layers"], x[i:i + 1000]) for i in range(0, len(x), 1000)])
print(json.dumps({
    "accuracy_count": int((pred.argmax(axis=1) == y).sum()),
    "predictions": pred[:req["rows"]].tolist(),
}))
