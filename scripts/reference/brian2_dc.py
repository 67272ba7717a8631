#!/usr/bin/env python3
"""One presentation of Diehl & Cook's network in Brian2, replaying given input spikes.

The reference for spikemem's `snn.integration = "reference"` scheme (and the regression
test tests/brian2_reference.rs, which writes the spec, runs this script and compares).

    brian2_dc.py SPEC.json OUT.json

SPEC (spikemem's config units: mV, ms):
  dt_ms, steps, learn (STDP and theta adaptation on: Diehl & Cook's training mode;
  off: their test mode), integration ("reference" is the only scheme Brian runs),
  exc / inh: the neuron constants as spikemem's `[snn.exc]` / `[snn.inh]` keys
  (exc also `timer_ms_per_s`), stdp: nu_pre, nu_post, tau_pre_ms, tau_post1_ms,
  tau_post2_ms, w_max, n_input, n_exc, theta_mv (per excitatory neuron), w_input (row
  major input x exc), w_exc_inh, w_inh_exc, input_spikes (per step, the input ids).
OUT: spikes {input, exc, inh} (per step, the ids that fired), w_input (row major).

The network is Diehl & Cook's (their Brian 1 code, as Brian2 equations): forward Euler
for v, ge, gi; v clamped during `refractory` (Brian's `unless refractory`, as Brian 1
clamps v); the excitatory `timer` (dtimer/dt = 100 ms/s, threshold needs timer >
refractory, reset sets it to 0); theta += theta_plus per spike when learning; the
two-trace STDP rule (pre = 1 on a pre spike, w -= nu_pre post1; on a post spike
w += nu_post pre post2(before), then post1 = post2 = 1; w clipped to [0, w_max]; the pre
pathway before the post one, as Brian's default order). No synaptic delays. Every neuron
starts at rest, without conductance or trace, its timer long past the lockout (as after
Diehl & Cook's 150 ms rest). theta's decay (tau 1e7 ms: 3.5e-5 of theta over a 350 ms
presentation) is not simulated within the presentation: spikemem decays theta once per
sample, between presentations.

Order within a step (Brian's schedule): integrate, threshold, synapses (a spike of step
t acts on the conductance from step t + 1), reset. spikemem's is the same.

Install: `python3 -m venv --system-site-packages VENV && VENV/bin/pip install brian2`
(Debian's python3 with numpy; .ci/run does this). Codegen target: numpy (no compiler).
"""
import json
import sys

import numpy as np


def run(spec):
    import brian2 as b

    b.prefs.codegen.target = "numpy"
    b.start_scope()
    if spec.get("integration", "reference") != "reference":
        raise SystemExit("brian2_dc.py runs the reference integration only")
    ms, mV = b.ms, b.mV
    dt = spec["dt_ms"] * ms
    b.defaultclock.dt = dt
    learn = bool(spec["learn"])
    e, i_, s = spec["exc"], spec["inh"], spec["stdp"]
    n_in, n = spec["n_input"], spec["n_exc"]

    def lif(extra=""):
        return (
            f"""
        dv/dt = ((v_rest - v) + ge * (e_exc - v) + gi * (e_inh - v)) / tau_mem : volt (unless refractory)
        dge/dt = -ge / tau_ge : 1
        dgi/dt = -gi / tau_gi : 1
        v_rest : volt (constant, shared)
        e_exc : volt (constant, shared)
        e_inh : volt (constant, shared)
        tau_mem : second (constant, shared)
        tau_ge : second (constant, shared)
        tau_gi : second (constant, shared)
        """
            + extra
        )

    def set_consts(g, p):
        g.v_rest = p["v_rest_mv"] * mV
        g.e_exc = p["e_exc_mv"] * mV
        g.e_inh = p["e_inh_mv"] * mV
        g.tau_mem = p["tau_mem_ms"] * ms
        g.tau_ge = p["tau_ge_ms"] * ms
        g.tau_gi = p["tau_gi_ms"] * ms
        g.v = p["v_rest_mv"] * mV

    ns = {
        "v_reset_e": e["v_reset_mv"] * mV,
        "v_thresh_e": e["v_thresh_mv"] * mV,
        "theta_offset": e["theta_offset_mv"] * mV,
        "theta_plus": e["theta_plus_mv"] * mV,
        "refrac_e": e["refractory_ms"] * ms,
        "timer_rate": e["timer_ms_per_s"] * ms / b.second,
        "v_reset_i": i_["v_reset_mv"] * mV,
        "v_thresh_i": i_["v_thresh_mv"] * mV,
        "nu_pre": s["nu_pre"],
        "nu_post": s["nu_post"],
        "tau_pre": s["tau_pre_ms"] * ms,
        "tau_post1": s["tau_post1_ms"] * ms,
        "tau_post2": s["tau_post2_ms"] * ms,
        "w_max": s["w_max"],
        "w_exc_inh": spec["w_exc_inh"],
        "w_inh_exc": spec["w_inh_exc"],
    }
    exc = b.NeuronGroup(
        n,
        lif("theta : volt\n dtimer/dt = timer_rate : second"),
        threshold="(v > theta - theta_offset + v_thresh_e) and (timer > refrac_e)",
        reset="v = v_reset_e; timer = 0*ms" + ("; theta += theta_plus" if learn else ""),
        refractory=e["refractory_ms"] * ms,
        method="euler",
        namespace=ns,
        name="exc",
    )
    set_consts(exc, e)
    exc.theta = np.asarray(spec["theta_mv"], dtype=float) * mV
    exc.timer = 1 * b.second
    inh = b.NeuronGroup(
        n,
        lif(),
        threshold="v > v_thresh_i",
        reset="v = v_reset_i",
        refractory=i_["refractory_ms"] * ms,
        method="euler",
        namespace=ns,
        name="inh",
    )
    set_consts(inh, i_)

    steps = spec["steps"]
    ids, times = [], []
    for step, row in enumerate(spec["input_spikes"][:steps]):
        ids.extend(row)
        times.extend([step] * len(row))
    inp = b.SpikeGeneratorGroup(
        n_in, np.array(ids, dtype=int), np.array(times, dtype=float) * dt, name="input"
    )

    if learn:
        model = """w : 1
        post2before : 1
        dpre/dt = -pre / tau_pre : 1 (event-driven)
        dpost1/dt = -post1 / tau_post1 : 1 (event-driven)
        dpost2/dt = -post2 / tau_post2 : 1 (event-driven)"""
        on_pre = "ge_post += w; pre = 1.; w = clip(w - nu_pre * post1, 0, w_max)"
        on_post = (
            "post2before = post2; w = clip(w + nu_post * pre * post2before, 0, w_max); "
            "post1 = 1.; post2 = 1."
        )
        s_in = b.Synapses(inp, exc, model, on_pre=on_pre, on_post=on_post, namespace=ns)
    else:
        s_in = b.Synapses(inp, exc, "w : 1", on_pre="ge_post += w", namespace=ns)
    pre_ids, post_ids = np.meshgrid(np.arange(n_in), np.arange(n), indexing="ij")
    s_in.connect(i=pre_ids.ravel(), j=post_ids.ravel())
    s_in.w = np.asarray(spec["w_input"], dtype=float)
    s_ei = b.Synapses(exc, inh, on_pre="ge_post += w_exc_inh", namespace=ns)
    s_ei.connect(j="i")
    s_ie = b.Synapses(inh, exc, on_pre="gi_post += w_inh_exc", namespace=ns)
    s_ie.connect(condition="i != j")

    mons = {k: b.SpikeMonitor(g) for k, g in (("input", inp), ("exc", exc), ("inh", inh))}
    net = b.Network(exc, inh, inp, s_in, s_ei, s_ie, *mons.values())
    net.run(steps * dt)

    spikes = {}
    for k, m in mons.items():
        per_step = [[] for _ in range(steps)]
        st = np.rint(np.asarray(m.t / dt)).astype(int)
        for step, j in sorted(zip(st.tolist(), np.asarray(m.i).tolist())):
            per_step[step].append(j)
        spikes[k] = per_step
    w = np.zeros(n_in * n)
    w[np.asarray(s_in.i) * n + np.asarray(s_in.j)] = np.asarray(s_in.w)
    return {"spikes": spikes, "w_input": w.tolist()}


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    out = run(spec)
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
