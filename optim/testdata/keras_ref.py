# Keras 3's optimizers and learning-rate schedules in NumPy (float64), written
# from keras/src/optimizers/{base_optimizer,sgd,adam,adamw,rmsprop,adagrad,
# nadam,adamax,adadelta,lion,ftrl,adafactor,schedule_free_adamw}.py and
# keras/src/optimizers/schedules/learning_rate_schedule.py, as an independent
# reference for the Go tests. Reads JSON on stdin, writes JSON on stdout:
#   {"cases": [{"opt", "cfg", "shapes", "start", "grads"}], "schedules": [{"class", "cfg", "steps"}]}
#   -> {"cases": [weights after each step], "ema": [...], "schedules": [[rate per step]]}
import json
import math
import sys

import numpy as np

BASE = dict(learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
            global_clipnorm=None, use_ema=False, ema_momentum=0.99,
            ema_overwrite_frequency=None, gradient_accumulation_steps=None)
DEFAULTS = {
    "sgd": dict(learning_rate=0.01, momentum=0.0, nesterov=False),
    "adam": dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "adamw": dict(weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "rmsprop": dict(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
    "adagrad": dict(initial_accumulator_value=0.1, epsilon=1e-7),
    "nadam": dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    "adamax": dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    "adadelta": dict(rho=0.95, epsilon=1e-7),
    "lion": dict(beta_1=0.9, beta_2=0.99),
    "ftrl": dict(learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0),
    "adafactor": dict(beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                      clip_threshold=1.0, relative_step=True),
    "schedule_free_adamw": dict(learning_rate=0.0025, beta_1=0.9, beta_2=0.999,
                                epsilon=1e-8, warmup_steps=0),
    "schedule_free_sgd": dict(learning_rate=0.0025, beta_1=0.9, warmup_steps=0),
    "muon": dict(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, epsilon=1e-7,
                 weight_decay=0.1, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=0.1, momentum=0.95, ns_steps=6, nesterov=True),
}


class Opt:
    def __init__(self, name, cfg, variables):
        c = dict(BASE)
        c.update(DEFAULTS[name])
        c.update({k: v for k, v in cfg.items()})
        self.c, self.name = c, name
        self._iterations = 0
        self.var = variables
        n = len(variables)
        zeros = lambda: [np.zeros_like(v) for v in variables]
        self.s = {}
        if name == "sgd":
            self.s["m"] = zeros()
        elif name in ("adam", "adamw", "nadam"):
            self.s["m"], self.s["v"], self.s["vhat"] = zeros(), zeros(), zeros()
            self.u_product = 1.0
        elif name == "adamax":
            self.s["m"], self.s["u"] = zeros(), zeros()
        elif name == "rmsprop":
            self.s["v"], self.s["mom"], self.s["avg"] = zeros(), zeros(), zeros()
        elif name == "adagrad":
            self.s["acc"] = [np.full_like(v, c["initial_accumulator_value"]) for v in variables]
        elif name == "adadelta":
            self.s["ag"], self.s["ad"] = zeros(), zeros()
        elif name == "lion":
            self.s["m"] = zeros()
        elif name == "ftrl":
            self.s["acc"] = [np.full_like(v, c["initial_accumulator_value"]) for v in variables]
            self.s["lin"] = zeros()
        elif name == "muon":
            self.s["m"], self.s["v"] = zeros(), zeros()
        elif name == "schedule_free_sgd":
            self.s["z"], self.s["x"] = [v.copy() for v in variables], [v.copy() for v in variables]
            self.sum_sq = 0.0
        elif name == "schedule_free_adamw":
            # build: the momentum z starts as a copy of the variable.
            self.s["z"], self.s["v"] = [v.copy() for v in variables], zeros()
        elif name == "adafactor":
            self.s["v"] = zeros()
            self.s["r"] = [np.zeros(v.shape[:-1]) if v.ndim >= 2 else 0.0 for v in variables]
            self.s["c"] = [np.zeros(v.shape[:-2] + v.shape[-1:]) if v.ndim >= 2 else 0.0 for v in variables]
        self.avg = zeros()
        self.accum = zeros()
        del n

    @property
    def iterations(self):
        n = self.c["gradient_accumulation_steps"]
        return self._iterations // n if n else self._iterations

    def lr(self):
        s = self.c.get("schedule")
        if s is not None:
            return schedule(s["class"], s["cfg"], self._iterations)
        return self.c["learning_rate"]

    def clip(self, grads):
        c = self.c
        if c["clipnorm"]:
            out = []
            for g in grads:
                l2 = math.sqrt(np.sum(g * g))
                out.append(g * c["clipnorm"] / max(l2, c["clipnorm"]))
            return out
        if c["global_clipnorm"]:
            norm = math.sqrt(sum(np.sum(g * g) for g in grads))
            scale = c["global_clipnorm"] * min(1.0 / norm, 1.0 / c["global_clipnorm"])
            return [g * scale for g in grads]
        if c["clipvalue"]:
            return [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in grads]
        return grads

    def apply(self, grads):
        c = self.c
        n = c["gradient_accumulation_steps"]
        if n:
            if (self._iterations + 1) % n == 0:
                grads = [(g + a) / n for g, a in zip(grads, self.accum)]
                self._step(grads)
                self.accum = [np.zeros_like(a) for a in self.accum]
            else:
                self.accum = [g + a for g, a in zip(grads, self.accum)]
        else:
            self._step(grads)
        if c["use_ema"]:
            mom = c["ema_momentum"] if self.iterations != 0 else 0.0
            self.avg = [mom * a + (1 - mom) * v for a, v in zip(self.avg, self.var)]
            f = c["ema_overwrite_frequency"]
            if f and (self.iterations + 1) % f == 0:
                self.var = [a.copy() for a in self.avg]
        self._iterations += 1

    def _step(self, grads):
        grads = self.clip(grads)
        lr = self.lr()
        if self.c["weight_decay"] is not None and self.name != "schedule_free_sgd":
            # schedule_free_sgd overrides _apply_weight_decay: its decay
            # goes into the gradient in update_step.
            self.var = [v - v * self.c["weight_decay"] * lr for v in self.var]
        if self.name == "schedule_free_sgd":
            # sum_sq_lrs grows once per iteration (the last_iteration guard).
            t = self.iterations + 1
            l = lr * min(t / self.c["warmup_steps"], 1.0) if self.c["warmup_steps"] > 0 else lr
            self.sum_sq += l * l
        if self.name == "nadam":
            t = self.iterations + 1
            self.u_product *= self.c["beta_1"] * (1.0 - 0.5 * 0.96 ** t)
        for i, g in enumerate(grads):
            self.var[i] = getattr(self, "u_" + self.name)(i, g, self.var[i], lr)

    def u_muon(self, i, g, w, lr):
        c = self.c
        if not 1 < w.ndim < 4:
            # _adamw_update_step at lr * adam_lr_ratio
            t = self.iterations + 1
            lr = lr * c["adam_lr_ratio"]
            alpha = lr * math.sqrt(1 - c["adam_beta_2"] ** t) / (1 - c["adam_beta_1"] ** t)
            m, v = self.s["m"], self.s["v"]
            m[i] = m[i] + (g - m[i]) * (1 - c["adam_beta_1"])
            v[i] = v[i] + (g * g - v[i]) * (1 - c["adam_beta_2"])
            return w - m[i] * alpha / (np.sqrt(v[i]) + c["epsilon"])
        m = self.s["m"]
        m[i] = m[i] + (g + m[i] * (c["momentum"] - 1))
        u = g + c["momentum"] * m[i] if c["nesterov"] else m[i]
        x = u
        tr = lambda a: np.swapaxes(a, -1, -2)
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = tr(x)
        x = x / (np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True)) + 1e-7)
        for _ in range(c["ns_steps"]):
            a_ = x @ tr(x)
            b_ = c["muon_b"] * a_ + c["muon_c"] * a_ @ a_
            x = c["muon_a"] * x + b_ @ x
        if tall:
            x = tr(x)
        return w - lr * x * max(1, w.shape[0] / w.shape[1]) ** 0.5

    def u_schedule_free_sgd(self, i, g, w, lr):
        c = self.c
        t = self.iterations + 1
        if c["warmup_steps"] > 0:
            lr = lr * min(t / c["warmup_steps"], 1.0)
        weight = lr * lr / self.sum_sq if self.sum_sq != 0 else 0.0
        if c["weight_decay"] is not None:
            g = g + c["weight_decay"] * w
        z, x = self.s["z"], self.s["x"]
        z[i] = z[i] - lr * g
        x[i] = (1 - weight) * x[i] + weight * z[i]
        return (1 - c["beta_1"]) * z[i] + c["beta_1"] * x[i]

    def u_schedule_free_adamw(self, i, g, w, lr):
        c = self.c
        t = self.iterations + 1
        if c["warmup_steps"] > 0:
            lr = lr * min(t / c["warmup_steps"], 1.0)
        z, v = self.s["z"], self.s["v"]
        z_old = z[i].copy()
        v[i] = v[i] + (g * g - v[i]) * (1 - c["beta_2"])
        denom = np.sqrt(v[i] / (1 - c["beta_2"] ** t)) + c["epsilon"]
        z[i] = z[i] - lr * g / denom
        x = (w - (1 - c["beta_1"]) * z_old) / c["beta_1"]
        x = (1 - 1.0 / t) * x + (1.0 / t) * z[i]
        return (1 - c["beta_1"]) * z[i] + c["beta_1"] * x

    def u_sgd(self, i, g, w, lr):
        mu = self.c["momentum"]
        if mu == 0:
            return w - lr * g
        m = self.s["m"]
        m[i] = mu * m[i] - lr * g
        if self.c["nesterov"]:
            return w + mu * m[i] - lr * g
        return w + m[i]

    def u_adam(self, i, g, w, lr):
        c = self.c
        t = self.iterations + 1
        alpha = lr * math.sqrt(1 - c["beta_2"] ** t) / (1 - c["beta_1"] ** t)
        m, v = self.s["m"], self.s["v"]
        m[i] = m[i] + (g - m[i]) * (1 - c["beta_1"])
        v[i] = v[i] + (g * g - v[i]) * (1 - c["beta_2"])
        vv = v[i]
        if c["amsgrad"]:
            self.s["vhat"][i] = np.maximum(self.s["vhat"][i], v[i])
            vv = self.s["vhat"][i]
        return w - m[i] * alpha / (np.sqrt(vv) + c["epsilon"])

    u_adamw = u_adam

    def u_rmsprop(self, i, g, w, lr):
        c = self.c
        rho = c["rho"]
        v = self.s["v"]
        v[i] = rho * v[i] + (1 - rho) * g * g
        if c["centered"]:
            a = self.s["avg"]
            a[i] = rho * a[i] + (1 - rho) * g
            den = v[i] - a[i] ** 2 + c["epsilon"]
        else:
            den = v[i] + c["epsilon"]
        inc = lr * g / np.sqrt(den)
        if c["momentum"] > 0:
            mo = self.s["mom"]
            mo[i] = c["momentum"] * mo[i] + inc
            return w - mo[i]
        return w - inc

    def u_adagrad(self, i, g, w, lr):
        a = self.s["acc"]
        a[i] = a[i] + g * g
        return w - lr * g / np.sqrt(a[i] + self.c["epsilon"])

    def u_nadam(self, i, g, w, lr):
        c = self.c
        b1, b2 = c["beta_1"], c["beta_2"]
        t, tn = self.iterations + 1, self.iterations + 2
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1.0 - 0.5 * 0.96 ** tn)
        up = self.u_product
        up1 = up * u_t1
        m, v = self.s["m"], self.s["v"]
        m[i] = m[i] + (g - m[i]) * (1 - b1)
        v[i] = v[i] + (g * g - v[i]) * (1 - b2)
        m_hat = u_t1 * m[i] / (1 - up1) + (1 - u_t) * g / (1 - up)
        v_hat = v[i] / (1 - b2 ** t)
        return w - m_hat * lr / (np.sqrt(v_hat) + c["epsilon"])

    def u_adamax(self, i, g, w, lr):
        c = self.c
        t = self.iterations + 1
        m, u = self.s["m"], self.s["u"]
        m[i] = m[i] + (g - m[i]) * (1 - c["beta_1"])
        u[i] = np.maximum(c["beta_2"] * u[i], np.abs(g))
        return w - lr * m[i] / ((1 - c["beta_1"] ** t) * (u[i] + c["epsilon"]))

    def u_adadelta(self, i, g, w, lr):
        c = self.c
        rho, eps = c["rho"], c["epsilon"]
        ag, ad = self.s["ag"], self.s["ad"]
        ag[i] = rho * ag[i] + (1 - rho) * g * g
        delta = -(np.sqrt(ad[i] + eps) * g) / np.sqrt(ag[i] + eps)
        ad[i] = rho * ad[i] + (1 - rho) * delta * delta
        return w + lr * delta

    def u_lion(self, i, g, w, lr):
        c = self.c
        m = self.s["m"]
        w = w - lr * np.sign(m[i] * c["beta_1"] + g * (1 - c["beta_1"]))
        m[i] = m[i] * c["beta_2"] + g * (1 - c["beta_2"])
        return w

    def u_ftrl(self, i, g, w, lr):
        c = self.c
        p = c["learning_rate_power"]
        l2 = c["l2_regularization_strength"] + c["beta"] / (2.0 * lr)
        gu = g + 2 * c["l2_shrinkage_regularization_strength"] * w
        acc, lin = self.s["acc"], self.s["lin"]
        new = acc[i] + g * g
        lin[i] = lin[i] + gu - (new ** -p - acc[i] ** -p) / lr * w
        quad = new ** -p / lr + 2 * l2
        l1 = c["l1_regularization_strength"]
        w = (np.clip(lin[i], -l1, l1) - lin[i]) / quad
        acc[i] = new
        return w

    def u_adafactor(self, i, g, w, lr):
        c = self.c
        t = self.iterations + 1
        if c["relative_step"] and c.get("schedule") is None:
            lr = min(lr, 1 / math.sqrt(t))
        rms = lambda x: math.sqrt(np.mean(x * x))
        rho_t = min(lr, 1 / math.sqrt(t))
        alpha_t = max(c["epsilon_2"], rms(w)) * rho_t
        reg = g * g + c["epsilon_1"]
        b = 1 - t ** c["beta_2_decay"]
        r, cc, v = self.s["r"], self.s["c"], self.s["v"]
        if w.ndim >= 2:
            r[i] = b * r[i] + (1 - b) * np.mean(reg, axis=-1)
            cc[i] = b * cc[i] + (1 - b) * np.mean(reg, axis=-2)
            v[i] = np.expand_dims(r[i] / np.mean(r[i], axis=-1, keepdims=True), -1) * np.expand_dims(cc[i], -2)
        else:
            v[i] = b * v[i] + (1 - b) * reg
        u = g / np.sqrt(v[i])
        u_hat = u / max(1.0, rms(u) / c["clip_threshold"])
        return w - alpha_t * u_hat


def schedule(cls, c, step):
    step = float(step)
    if cls == "ExponentialDecay":
        p = step / c["decay_steps"]
        if c.get("staircase"):
            p = math.floor(p)
        return c["initial_learning_rate"] * c["decay_rate"] ** p
    if cls == "InverseTimeDecay":
        p = step / c["decay_steps"]
        if c.get("staircase"):
            p = math.floor(p)
        return c["initial_learning_rate"] / (1 + c["decay_rate"] * p)
    if cls == "PolynomialDecay":
        end = c.get("end_learning_rate", 0.0001)
        power = c.get("power", 1.0)
        ds = float(c["decay_steps"])
        if c.get("cycle"):
            mult = 1.0 if step == 0 else math.ceil(step / c["decay_steps"])
            ds = ds * mult
        else:
            step = min(step, ds)
        p = step / ds
        return (c["initial_learning_rate"] - end) * (1 - p) ** power + end
    if cls == "PiecewiseConstantDecay":
        b, v = c["boundaries"], c["values"]
        if step <= b[0]:
            return v[0]
        if step > b[-1]:
            return v[-1]
        for lo, hi, val in zip(b[:-1], b[1:], v[1:-1]):
            if lo < step <= hi:
                return val
    if cls == "CosineDecay":
        lr0, ds, alpha = c["initial_learning_rate"], float(c["decay_steps"]), c.get("alpha", 0.0)
        target = c.get("warmup_target")

        def decay(s, frm):
            return frm * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / ds)) + alpha)
        if target is None:
            return decay(min(step, ds), lr0)
        ws = float(c.get("warmup_steps", 0))
        step = min(step, ds + ws)
        if step < ws:
            return (target - lr0) * (step / ws) + lr0
        return decay(step - ws, target)
    if cls == "CosineDecayRestarts":
        lr0, fd = c["initial_learning_rate"], float(c["first_decay_steps"])
        t_mul, m_mul, alpha = c.get("t_mul", 2.0), c.get("m_mul", 1.0), c.get("alpha", 0.0)
        frac = step / fd
        if t_mul == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
            sum_r = (1.0 - t_mul ** i) / (1.0 - t_mul)
            frac = (frac - sum_r) / t_mul ** i
        cos = 0.5 * m_mul ** i * (1.0 + math.cos(math.pi * frac))
        return lr0 * ((1 - alpha) * cos + alpha)
    raise ValueError(cls)


def main():
    req = json.load(sys.stdin)
    out = {"cases": [], "ema": [], "schedules": []}
    for case in req.get("cases", []):
        cfg = dict(case["cfg"])
        lr = cfg.get("learning_rate")
        if isinstance(lr, dict):
            cfg["schedule"] = {"class": lr["class_name"], "cfg": lr["config"]}
        variables = [np.array(x, dtype=np.float64).reshape(s) for x, s in zip(case["start"], case["shapes"])]
        o = Opt(case["opt"], cfg, variables)
        traj, avgs = [], []
        for step in case["grads"]:
            grads = [np.array(x, dtype=np.float64).reshape(s) for x, s in zip(step, case["shapes"])]
            o.apply(grads)
            traj.append([v.ravel().tolist() for v in o.var])
            avgs.append([a.ravel().tolist() for a in o.avg])
        out["cases"].append(traj)
        out["ema"].append(avgs)
    for s in req.get("schedules", []):
        out["schedules"].append([schedule(s["class"], s["cfg"], k) for k in s["steps"]])
    json.dump(out, sys.stdout)


main()
