# Independent NumPy reference for the metric tests (reference_test.go).
#
# Reads a JSON list of cases on stdin, each {"kind": Keras class name,
# "cfg": its config, "batches": [...]}, and writes, for each, the metric's
# value over all the batches together. Every formula is written from the
# Keras 3 sources (keras/src/metrics/confusion_metrics.py, metrics_utils.py,
# f_score_metrics.py, accuracy_metrics.py, regression_metrics.py,
# iou_metrics.py, probabilistic_metrics.py, hinge_metrics.py, with the loss
# functions of keras/src/losses/losses.py and the TensorFlow backend's
# keras/src/backend/tensorflow/nn.py), per threshold and per value rather
# than with the bucketed running sums the Go code uses.
import json
import sys

import numpy as np

EPS = 1e-7
NEG_INF = -1e10


def arrays(case):
    preds, targets, weights = [], [], []
    have_w = any(b.get("weights") is not None for b in case["batches"])
    for b in case["batches"]:
        p = np.array(b["pred"], dtype=np.float32).reshape(b["pred_shape"])
        t = np.array(b["target"], dtype=np.float32).reshape(b["target_shape"])
        preds.append(p)
        targets.append(t)
        if have_w:
            weights.append(np.array(b["weights"], dtype=np.float32))
    w = np.concatenate(weights).astype(np.float64) if have_w else None
    return np.concatenate(preds), np.concatenate(targets), w


def per_value_weights(w, shape):
    """A sample weight for every value of a (N, ...) array."""
    if w is None:
        return np.ones(shape)
    return np.broadcast_to(w.reshape((-1,) + (1,) * (len(shape) - 1)), shape).astype(np.float64)


def div_no_nan(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    out = np.zeros(a.shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def auc(cfg, p, t, w):
    n = cfg.get("num_thresholds", 200)
    given = cfg.get("thresholds")
    if given is not None:
        inner = sorted(given)
        n = len(inner) + 2
        full = np.array([0.0] + inner + [1.0])
        even = n >= 3 and np.allclose(full, np.arange(n, dtype=np.float32) / (n - 1), atol=1e-7)
    else:
        inner = [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]
        even = True
    thresholds = np.array([0.0 - EPS] + inner + [1.0 + EPS], dtype=np.float32)
    if cfg.get("from_logits"):
        p = (1 / (1 + np.exp(-p.astype(np.float64)))).astype(np.float32)
    multi = cfg.get("multi_label", False)
    lw = cfg.get("label_weights")
    wv = per_value_weights(w, p.shape)
    if lw is not None and not multi:
        wv = wv * np.array(lw)
    if multi:
        p2, t2, w2 = p.reshape(p.shape[0], -1), t.reshape(p.shape[0], -1), wv.reshape(p.shape[0], -1)
    else:
        p2, t2, w2 = p.reshape(-1, 1), t.reshape(-1, 1), wv.reshape(-1, 1)
    yt = t2 != 0
    L = p2.shape[1]
    tp, fp, tn, fn = (np.zeros((n, L)) for _ in range(4))
    if even:
        # metrics_utils._update_confusion_matrix_variables_optimized: a
        # prediction is positive at thresholds 0..ceil(p*(n-1))-1, at least
        # at the first (the -epsilon end point).
        pc = np.clip(p2, np.float32(0), np.float32(1))
        last = np.maximum(np.ceil(pc * np.float32(n - 1)).astype(np.int64) - 1, 0)
        last = np.where(np.isnan(p2), -1, last)
    for i in range(n):
        pos = (last >= i) if even else (p2 > thresholds[i])
        tp[i] = np.sum(w2 * (yt & pos), axis=0)
        fp[i] = np.sum(w2 * (~yt & pos), axis=0)
        fn[i] = np.sum(w2 * (yt & ~pos), axis=0)
        tn[i] = np.sum(w2 * (~yt & ~pos), axis=0)
    curve = cfg.get("curve", "ROC").upper()
    method = cfg.get("summation_method", "interpolation").lower()
    if curve == "PR" and method == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        dp = pp[:-1] - pp[1:]
        slope = div_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), div_no_nan(pp[:-1], np.maximum(pp[1:], 0)), 1.0)
        terms = div_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    else:
        recall = div_no_nan(tp, tp + fn)
        if curve == "ROC":
            x, y = div_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, div_no_nan(tp, tp + fp)
        if method == "interpolation":
            h = (y[:-1] + y[1:]) / 2
        elif method == "minoring":
            h = np.minimum(y[:-1], y[1:])
        else:
            h = np.maximum(y[:-1], y[1:])
        terms = (x[:-1] - x[1:]) * h
    by_label = terms.sum(axis=0)
    if not multi:
        return float(by_label[0])
    if lw is None:
        return float(by_label.mean())
    return float(div_no_nan(np.sum(by_label * np.array(lw)), np.sum(lw)))


def top_k_mask(p, k):
    """1 where a value is among the k largest of its row (ties: lower index)."""
    rows = p.reshape(-1, p.shape[-1])
    mask = np.zeros(rows.shape, dtype=bool)
    for r in range(rows.shape[0]):
        order = sorted(range(rows.shape[1]), key=lambda j: (-rows[r, j], j))
        mask[r, order[:k]] = True
    return mask.reshape(p.shape)


def precision_recall(kind, cfg, p, t, w):
    top_k = cfg.get("top_k")
    th = cfg.get("thresholds")
    if isinstance(th, list):
        th = th[0]
    if th is None:
        th = 0.5 if top_k is None else NEG_INF
    wv = per_value_weights(w, p.shape)
    if top_k is not None:
        p = np.where(top_k_mask(p, top_k), p, np.float32(NEG_INF))
    cid = cfg.get("class_id")
    if cid is not None:
        p, t, wv = p[..., cid], t[..., cid], wv[..., cid]
    pos = p > np.float32(th)
    yt = t != 0
    tp = np.sum(wv * (pos & yt))
    if kind == "Precision":
        return float(div_no_nan(tp, tp + np.sum(wv * (pos & ~yt))))
    return float(div_no_nan(tp, tp + np.sum(wv * (~pos & yt))))


def fbeta(kind, cfg, p, t, w):
    beta = cfg.get("beta", 1.0) if kind == "FBetaScore" else 1.0
    th = cfg.get("threshold")
    if th is None:
        yp = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
    else:
        yp = p > np.float32(th)
    yp = yp.astype(np.float64)
    yt = t.astype(np.float64)
    sw = np.ones(p.shape[0]) if w is None else w
    sw = sw[:, None]
    avg = cfg.get("average")
    axis = None if avg == "micro" else 0
    tp = np.sum(yp * yt * sw, axis=axis)
    fp = np.sum(yp * (1 - yt) * sw, axis=axis)
    fn = np.sum((1 - yp) * yt * sw, axis=axis)
    support = np.sum(yt * sw, axis=axis)
    prec = tp / (tp + fp + EPS)
    rec = tp / (tp + fn + EPS)
    f = prec * rec / (beta**2 * prec + rec + EPS) * (1 + beta**2)
    per_class = np.atleast_1d(f)
    if avg == "weighted":
        return float(np.sum(f * support / (np.sum(support) + EPS))), per_class.tolist()
    return float(np.mean(f)), per_class.tolist()


def sample_mean(values, w):
    """Keras's Mean over per-sample means of values (N, ...)."""
    per_sample = values.reshape(values.shape[0], -1).mean(axis=1)
    if w is None:
        return float(per_sample.mean())
    return float(div_no_nan(np.sum(per_sample * w), np.sum(w)))


def in_top_k(row, target, k):
    if target < 0 or target >= len(row) or not np.isfinite(row[target]):
        return False
    return np.sum(row > row[target]) < k


def r2(cfg, p, t, w):
    sw = np.ones(p.shape[0]) if w is None else w
    sw = sw[:, None]
    tt, pp = t.astype(np.float64), p.astype(np.float64)
    s = np.sum(tt * sw, axis=0)
    sq = np.sum(tt * tt * sw, axis=0)
    res = np.sum((tt - pp) ** 2 * sw, axis=0)
    cnt = np.sum(np.broadcast_to(sw, tt.shape), axis=0)
    total = sq - s * (s / cnt)
    raw = 1 - res / total
    raw = np.where(np.isinf(raw), 0.0, raw)
    agg = cfg.get("class_aggregation", "uniform_average")
    if agg == "uniform_average":
        score = np.mean(raw)
    elif agg == "variance_weighted_average":
        score = np.sum(total * raw) / np.sum(total)
    else:
        score = raw
    nreg = cfg.get("num_regressors", 0)
    n = tt.size
    if nreg != 0 and nreg < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - nreg - 1)
    return score


def mean_iou(cfg, p, t, w, kind="MeanIoU"):
    if kind == "BinaryIoU":
        nc = 2
        yt = t.astype(np.int64)
        yp = (p >= np.float32(cfg.get("threshold", 0.5))).astype(np.int64)
    else:
        nc = cfg["num_classes"]
        dense_true = cfg.get("sparse_y_true") is False or kind.startswith("OneHot")
        dense_pred = cfg.get("sparse_y_pred", not kind.startswith("OneHot")) is False
        yt = np.argmax(t, axis=-1) if dense_true else t.astype(np.int64)
        yp = np.argmax(p, axis=-1) if dense_pred else p.astype(np.int64)
    wv = per_value_weights(w, yt.shape).reshape(-1)
    yt, yp = yt.reshape(-1), yp.reshape(-1)
    ic = cfg.get("ignore_class")
    if ic is not None:
        keep = yt != ic
        yt, yp, wv = yt[keep], yp[keep], wv[keep]
    cm = np.zeros((nc, nc))
    np.add.at(cm, (yt, yp), wv)
    tp = np.diag(cm)
    den = cm.sum(axis=0) + cm.sum(axis=1) - tp
    ids = cfg.get("target_class_ids")
    if kind == "BinaryIoU" and ids is None:
        ids = [0, 1]
    if ids is not None:
        tp, den = tp[ids], den[ids]
    valid = np.sum(den > 1e-9)
    return float(np.sum(tp / (den + EPS)) / (valid + EPS))


def loss_values(kind, cfg, p, t):
    """The per-row values of the loss function a metric wraps, over the last
    axis, in float64 (keras/src/losses/losses.py; TensorFlow backend)."""
    p = p.astype(np.float64)
    t = t.astype(np.float64)
    if kind == "KLDivergence":
        yt, yp = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
        return np.sum(yt * np.log(yt / yp), axis=-1)
    if kind == "Poisson":
        return np.mean(p - t * np.log(p + EPS), axis=-1)
    if kind == "BinaryCrossentropy":
        ls = cfg.get("label_smoothing", 0)
        t = t * (1 - ls) + 0.5 * ls
        if cfg.get("from_logits"):
            bce = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
        else:
            o = np.clip(p, EPS, 1 - EPS)
            bce = -(t * np.log(o) + (1 - t) * np.log(1 - o))
        return np.mean(bce, axis=-1)
    if kind == "CategoricalCrossentropy":
        ls = cfg.get("label_smoothing", 0)
        t = t * (1 - ls) + ls / p.shape[-1]
        if cfg.get("from_logits"):
            m = p.max(axis=-1, keepdims=True)
            logp = p - m - np.log(np.sum(np.exp(p - m), axis=-1, keepdims=True))
        else:
            o = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
            logp = np.log(o)
        return -np.sum(t * logp, axis=-1)
    if kind == "SparseCategoricalCrossentropy":
        labels = t.reshape(p.shape[:-1]).astype(np.int64)
        if cfg.get("from_logits"):
            logits = p
        else:
            logits = np.log(np.clip(p, EPS, 1 - EPS))
        m = logits.max(axis=-1, keepdims=True)
        lse = (m + np.log(np.sum(np.exp(logits - m), axis=-1, keepdims=True)))[..., 0]
        return lse - np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    if kind in ("Hinge", "SquaredHinge"):
        if np.all((t == 0) | (t == 1)):
            t = 2 * t - 1
        h = np.maximum(1 - t * p, 0)
        return np.mean(h if kind == "Hinge" else h * h, axis=-1)
    if kind == "CategoricalHinge":
        pos = np.sum(t * p, axis=-1)
        neg = np.max((1 - t) * p, axis=-1)
        return np.maximum(neg - pos + 1, 0)
    if kind == "CosineSimilarity":
        def normalize(x):
            return x / np.maximum(np.sqrt(np.sum(x * x, axis=-1, keepdims=True)), EPS)
        return np.sum(normalize(t) * normalize(p), axis=-1)
    if kind == "LogCoshError":
        x = p - t
        return np.mean(x + np.logaddexp(0, -2 * x) - np.log(2), axis=-1)
    if kind == "MeanSquaredLogarithmicError":
        return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, axis=-1)
    return None


def condition_count(kind, cfg, p, t, w):
    th = cfg.get("thresholds")
    if isinstance(th, list):
        th = th[0]
    if th is None:
        th = 0.5
    wv = per_value_weights(w, p.shape)
    pos, yt = p > np.float32(th), t != 0
    cell = {"TruePositives": pos & yt, "FalsePositives": pos & ~yt,
            "TrueNegatives": ~pos & ~yt, "FalseNegatives": ~pos & yt}[kind]
    return float(np.sum(wv * cell))


def sens_spec(kind, cfg, p, t, w):
    n = cfg.get("num_thresholds", 200)
    wv = per_value_weights(w, p.shape)
    cid = cfg.get("class_id")
    if cid is not None:
        p, t, wv = p[..., cid], t[..., cid], wv[..., cid]
    p, yt, wv = p.reshape(-1), t.reshape(-1) != 0, wv.reshape(-1)
    if n == 1:
        pos_at = [p > np.float32(0.5)]
    else:
        # Thresholds 0, (i+1)/(n-1), 1, evenly spaced: the optimized path
        # of metrics_utils.update_confusion_matrix_variables.
        pc = np.clip(p, np.float32(0), np.float32(1))
        last = np.maximum(np.ceil(pc * np.float32(n - 1)).astype(np.int64) - 1, 0)
        pos_at = [last >= i for i in range(n)]
    best, found = 0.0, False
    for pos in pos_at:
        tp = np.sum(wv * (pos & yt))
        fp = np.sum(wv * (pos & ~yt))
        fn = np.sum(wv * (~pos & yt))
        tn = np.sum(wv * (~pos & ~yt))
        sens = float(div_no_nan(tp, tp + fn))
        spec = float(div_no_nan(tn, tn + fp))
        prec = float(div_no_nan(tp, tp + fp))
        constrained, dependent, value = {
            "SensitivityAtSpecificity": (spec, sens, cfg.get("specificity")),
            "SpecificityAtSensitivity": (sens, spec, cfg.get("sensitivity")),
            "PrecisionAtRecall": (sens, prec, cfg.get("recall")),
            "RecallAtPrecision": (prec, sens, cfg.get("precision")),
        }[kind]
        if constrained >= value:
            best = max(best, dependent) if found else max(0.0, dependent)
            found = True
    return best


def reference(case):
    kind, cfg = case["kind"], case["cfg"]
    p, t, w = arrays(case)
    out = {}
    if case.get("sklearn"):
        try:
            import sklearn.metrics  # noqa: F401
        except ImportError:
            return {"result": 0.0, "no_sklearn": True}
    if kind == "AUC":
        out["result"] = auc(cfg, p, t, w)
        if case.get("sklearn"):
            from sklearn.metrics import roc_auc_score

            sw = None if w is None else per_value_weights(w, p.shape).reshape(-1)
            out["sklearn"] = float(roc_auc_score(t.reshape(-1), p.reshape(-1), sample_weight=sw))
    elif kind in ("Precision", "Recall"):
        out["result"] = precision_recall(kind, cfg, p, t, w)
    elif kind in ("F1Score", "FBetaScore"):
        out["result"], out["results"] = fbeta(kind, cfg, p, t, w)
        if case.get("sklearn"):
            from sklearn.metrics import fbeta_score

            yp = (p > cfg["threshold"]).astype(int)
            out["sklearn"] = float(fbeta_score(t.astype(int), yp, beta=cfg.get("beta", 1.0), average=cfg["average"], sample_weight=w, zero_division=0))
    elif kind in ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"):
        k = cfg.get("k", 5)
        rows = p.reshape(-1, p.shape[-1])
        if kind == "TopKCategoricalAccuracy":
            labels = np.argmax(t.reshape(-1, t.shape[-1]), axis=-1)
        else:
            labels = t.reshape(-1).astype(np.int32)
        hits = np.array([in_top_k(rows[r], labels[r], k) for r in range(rows.shape[0])], dtype=np.float64)
        out["result"] = sample_mean(hits.reshape(p.shape[0], -1), w)
    elif kind == "BinaryAccuracy":
        th = np.float32(cfg.get("threshold", 0.5))
        out["result"] = sample_mean(((p > th).astype(np.float32) == t).astype(np.float64), w)
    elif kind == "CategoricalAccuracy":
        hits = (np.argmax(p, axis=-1) == np.argmax(t, axis=-1)).astype(np.float64)
        out["result"] = sample_mean(hits, w)
    elif kind == "RootMeanSquaredError":
        out["result"] = float(np.sqrt(sample_mean((p.astype(np.float64) - t) ** 2, w)))
    elif kind == "MeanAbsolutePercentageError":
        tt = t.astype(np.float64)
        out["result"] = sample_mean(100 * np.abs((tt - p) / np.maximum(np.abs(tt), EPS)), w)
    elif kind == "R2Score":
        score = r2(cfg, p, t, w)
        if np.ndim(score) == 0:
            out["result"] = float(score)
        else:
            out["result"] = float(np.mean(score))
            out["results"] = [float(v) for v in score]
        if case.get("sklearn"):
            from sklearn.metrics import r2_score

            mo = {"uniform_average": "uniform_average", "variance_weighted_average": "variance_weighted", None: "raw_values"}
            s = r2_score(t, p, sample_weight=w, multioutput=mo[cfg.get("class_aggregation", "uniform_average")])
            out["sklearn"] = float(np.mean(s))
    elif kind in ("MeanIoU", "IoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"):
        out["result"] = mean_iou(cfg, p, t, w, kind)
    elif kind in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
        out["result"] = condition_count(kind, cfg, p, t, w)
    elif kind in ("SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision"):
        out["result"] = sens_spec(kind, cfg, p, t, w)
    elif kind == "Accuracy":
        # accuracy_metrics.accuracy: exact equality, per value, after
        # squeeze_or_expand_to_same_rank.
        t = t.reshape(p.shape)
        out["result"] = sample_mean((p == t).astype(np.float64), w)
    elif loss_values(kind, cfg, p[:1], t[:1]) is not None:
        out["result"] = sample_mean(loss_values(kind, cfg, p, t), w)
    else:
        raise SystemExit("unknown kind " + kind)
    return out


json.dump([reference(c) for c in json.load(sys.stdin)], sys.stdout)
