"""Value pools and generic mutators (TOML trees, text, bytes) for the fuzz harness."""

import copy
import math

import tomlw

U64_MAX = 18446744073709551615
I64_MAX = 2**63 - 1

INTS = [0, 1, -1, 2, 3, 7, 8, 255, 256, 1023, 1024, 4095, 4096, 65535, 65536,
        2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53, I64_MAX, -(2**63), 10**9, 10**12,
        10**15, 10**18]
# Integers TOML cannot hold (the reader must reject them with a message).
BIG_INTS = [2**63, U64_MAX, 2**64, 10**30]
FLOATS = [0.0, -0.0, 5e-324, 1e-300, 1e-9, 0.5, -0.5, 1.5, 1e9, 1e18, 1e20, 1e300,
          1.7976931348623157e308, float("nan"), float("inf"), float("-inf")]
STRS = ["", " ", "x", "DDR4-2400", "builtin:", "builtin:mnist-sample/test-images",
        "builtin:nope", "/", ".", "..", "/dev/null", "nonexistent.toml", "missing.h5",
        "\u00e9\u2603\U0001f600", "a\u0000b", "\n", "nan", "inf", "-1", "0x10", "true",
        "A" * 300, "\\", "\"", "{", "[", "x" * 5000]

# Config keys (README "Config reference"), with values worth trying besides the
# generic pools: enum members, plausible numbers.
ENUMS = {
    "dram.standard": ["DDR3-1600", "DDR3-1600-x8", "DDR3-1600-x16", "DDR3L-1600",
                      "DDR4-2400", "LPDDR3-1600", "DDR9", "std.toml"],
    "dram.mapping": ["RoBaRaCoCh", "RoRaBaChCo", "ChRaBaRoCo", "RoBaRaChCo", "RoCoBaRaCh",
                     "Ro-Bg-Ba-Ra-Co-Ch", "Ro-Ro-Ba", "Co-Ch", "Ch-Ra-Bg-Ba-Ro-Co-Sa", "--", ""],
    "dram.scheduler": ["fcfs", "frfcfs", "FRFCFS"],
    "dram.row_policy": ["open", "closed", "timeout"],
    "dram.salp": ["none", "salp1", "salp2", "masa"],
    "dram.error_model": ["none", "uniform", "bitline", "wordline", "data_dependent"],
    "snn.model": ["diehl_cook", "fspinn"],
    "snn.rounding": ["nearest", "truncate", "stochastic"],
    "snn.quantization": ["post_training", "training"],
    "snn.input_connectivity": ["all_to_all", "sparse", "local"],
    "data.dataset": ["mnist", "fashion_mnist"],
    "system.weights_in": ["dram", "sram"],
    "system.placement": ["naive", "drmap"],
    "encoding.kind": ["crossbar", "index", "bitmap", "functional", "functional_bitmap"],
}
_SRAM = ["capacity_bytes", "word_bits", "banks", "ports", "latency_cycles", "tech",
         "read_fixed_pj", "read_bit_pj", "size_exponent", "write_read_ratio",
         "leakage_pw_per_bit"]
TIMINGS = ["tCK_ps", "CL", "CWL", "RCD", "RP", "RAS", "RC", "CCD_S", "CCD_L", "RRD_S",
           "RRD_L", "FAW", "WTR_S", "WTR_L", "RTP", "WR", "RTRS", "RFC", "REFI", "BL",
           "XP", "CKE", "XS", "XSDLL", "CKESR"]
KEYS = (
    ["dram." + k for k in [
        "standard", "channels", "ranks", "mapping", "scheduler", "row_policy",
        "row_timeout_cycles", "queue_depth", "write_high_watermark", "write_low_watermark",
        "salp", "subarrays_per_bank", "refresh", "power_down_after_cycles",
        "power_down_precharge", "self_refresh_after_cycles", "vdd", "voltage_table",
        "error_model", "ber", "fault_seed"]]
    + ["dram.timing." + t for t in TIMINGS]
    + ["snn." + k for k in [
        "model", "n_excitatory", "weight_bits", "weight_frac_bits", "rounding",
        "quantization", "epochs", "seed", "dt_ms", "present_ms", "rest_ms", "input_rate_div",
        "input_norm_mean", "rate_increase_div", "min_spikes", "max_repeats", "w_input_scale",
        "w_input_offset", "w_exc_inh", "w_inh_exc", "w_direct_inhibition", "norm_total",
        "input_connectivity", "input_density", "local_kernel", "local_stride",
        "input_delay_ms", "input_delay_max_ms", "direct_inhibition", "timestep_updates",
        "single_trace", "adaptive_potentiation", "label_samples", "report_every", "threads"]]
    + ["snn.exc." + k for k in [
        "v_rest_mv", "v_reset_mv", "v_thresh_mv", "e_exc_mv", "e_inh_mv", "tau_mem_ms",
        "tau_ge_ms", "tau_gi_ms", "refractory_ms", "theta_init_mv", "theta_offset_mv",
        "theta_plus_mv", "tau_theta_ms"]]
    + ["snn.inh." + k for k in [
        "v_rest_mv", "v_reset_mv", "v_thresh_mv", "e_exc_mv", "e_inh_mv", "tau_mem_ms",
        "tau_ge_ms", "tau_gi_ms", "refractory_ms"]]
    + ["snn.stdp." + k for k in [
        "nu_pre", "nu_post", "tau_pre_ms", "tau_post1_ms", "tau_post2_ms", "w_max",
        "single_trace_offset", "update_interval_ms", "adaptive_target_spikes"]]
    + ["data." + k for k in [
        "dataset", "train_images", "train_labels", "test_images", "test_labels",
        "train_samples", "test_samples"]]
    + ["system.weights_in", "system.placement", "system.model"]
    + ["encoding.kind", "encoding.word_bits"]
    + ["encoding.decoder." + k for k in [
        "pointer_op_pj", "popcount_pj", "index_compare_pj", "addr_gen_pj"]]
    + ["core." + k for k in [
        "freq_mhz", "synapse_lanes", "neuron_units", "spike_queue_depth",
        "weight_buffer_bytes", "cycles_per_synop", "cycles_per_neuron_update",
        "cycles_per_stdp_update", "energy_per_synop_pj", "energy_per_neuron_update_pj",
        "energy_per_stdp_update_pj", "energy_per_spike_pj", "leakage_power_uw"]]
    + [f"sram.{m}.{k}" for m in ["weights", "buffer", "neurons", "delays"] for k in _SRAM]
    + ["trace.timesteps", "trace.commands"]
)
# Keys that scale the work of a run: a big valid value is a long run, not a bug; a hang
# with one of these touched is labelled so in the summary.
COST_KEYS = {"data.train_samples", "data.test_samples", "snn.n_excitatory", "snn.epochs",
             "snn.present_ms", "snn.rest_ms", "snn.max_repeats", "snn.dt_ms",
             "snn.label_samples", "snn.input_delay_max_ms", "snn.input_delay_ms",
             "dram.timing.tCK_ps", "core.freq_mhz", "snn.local_kernel", "snn.local_stride"}

# The settings that keep a run small (applied before mutating, so a mutation may undo them).
def shrink_sets(rng):
    return {
        "data.train_samples": rng.choice([1, 2, 2, 3, 5]),
        "data.test_samples": rng.choice([1, 2, 2, 3]),
        "snn.n_excitatory": rng.choice([1, 2, 5, 10, 10, 20]),
        "snn.epochs": 1,
        "snn.present_ms": rng.choice([20.0, 50.0, 100.0]),
        "snn.rest_ms": rng.choice([5.0, 20.0]),
    }


def interesting(rng, like=None):
    """A value from the pools; with `like`, often of the same type or a near miss."""
    r = rng.random()
    if like is not None and r < 0.5:
        if isinstance(like, bool):
            return rng.choice([not like, 0, 1, "true", "yes"])
        if isinstance(like, int):
            return rng.choice([like + 1, like - 1, -like, like * 2, like * 1000, 0,
                               rng.choice(INTS), float(like), like + 0.5, str(like)])
        if isinstance(like, float):
            return rng.choice([like * 2, -like, like * 1e6, like / 1e6, 0.0,
                               rng.choice(FLOATS), int(like) if math.isfinite(like) else 1,
                               str(like)])
        if isinstance(like, str):
            return rng.choice([like.upper(), like + "x", like[:-1], " " + like, like * 50,
                               rng.choice(STRS), 1])
    if r < 0.7:
        return rng.choice(INTS + FLOATS)
    if r < 0.85:
        return rng.choice(STRS)
    return rng.choice([True, False, [], [1, 2], ["a"], {}, {"a": 1}, [[1], [2]],
                       rng.choice(BIG_INTS)])


def value_for_key(rng, key, old=None):
    """A value for a known config key: a valid choice, a near miss or a pool value."""
    r = rng.random()
    if key in ENUMS and r < 0.5:
        return rng.choice(ENUMS[key])
    if key in COST_KEYS and r < 0.4:
        return rng.choice([0, 1, 2, 3, -1, 0.5])
    if r < 0.35:
        return plausible(rng, old)
    return interesting(rng, old)


def plausible(rng, old):
    """A value of the same type near the old one (to get past validation, deeper)."""
    if isinstance(old, bool):
        return not old
    if isinstance(old, int):
        return max(0, rng.choice([old * 2, old // 2, old + 1, old - 1, 1, 2, 4, 16, 64]))
    if isinstance(old, float):
        return rng.choice([old * 2, old / 2, old * 1.1, old * 0.9, 0.0, 1.0])
    if isinstance(old, str) or old is None:
        return rng.choice([1, 2, 4, 8, 16, 0.5, 1.0, 100, 1000])
    return old


# --- TOML trees -------------------------------------------------------------------------

def get_path(tree, path):
    node = tree
    for p in path[:-1]:
        node = node.get(p)
        if not isinstance(node, dict):
            return None
    return node.get(path[-1]) if isinstance(node, dict) else None


def set_path(tree, path, value):
    node = tree
    for p in path[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = {}
            node[p] = nxt
        node = nxt
    node[path[-1]] = value


def all_paths(tree, prefix=()):
    """Every (path, value) in the tree, tables included."""
    out = []
    for k, v in tree.items():
        p = prefix + (k,)
        out.append((p, v))
        if isinstance(v, dict):
            out.extend(all_paths(v, p))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                if isinstance(x, dict):
                    out.extend(all_paths(x, p + (i,)))
    return out


def _node_at(tree, path):
    node = tree
    for p in path:
        node = node[p]
    return node


def mutate_tree(rng, tree, keys=None, n=None):
    """Mutate a TOML tree in place: values, types, keys, tables. Returns the config keys
    (dotted) it touched, for labelling."""
    touched = []
    n = n or rng.choice([1, 1, 1, 2, 2, 3, 5])
    for _ in range(n):
        op = rng.random()
        paths = all_paths(tree)
        if keys and op < 0.45:
            k = rng.choice(keys)
            path = tuple(k.split("."))
            set_path(tree, path, value_for_key(rng, k, get_path(tree, path)))
            touched.append(k)
            continue
        if not paths:
            tree[rng.choice(["x", "dram", "snn"])] = interesting(rng)
            continue
        path, v = rng.choice(paths)
        parent = _node_at(tree, path[:-1])
        last = path[-1]
        dotted = ".".join(str(p) for p in path if not isinstance(p, int))
        if op < 0.7:  # a value
            if not isinstance(v, dict):
                parent[last] = interesting(rng, v)
                touched.append(dotted)
        elif op < 0.78:  # remove
            if isinstance(parent, dict):
                del parent[last]
            elif isinstance(parent, list) and parent:
                parent.pop(last)
            touched.append(dotted)
        elif op < 0.86:  # unknown or misspelt key next to it
            if isinstance(parent, dict):
                name = rng.choice([str(last) + "_", str(last).upper(), "bogus", "",
                                   "a.b", " ", "x" * 200, str(last)[:-1] or "q"])
                parent[name] = interesting(rng)
        elif op < 0.93:  # a table where a value is, or the other way round
            if isinstance(v, dict):
                parent[last] = interesting(rng)
            else:
                parent[last] = {"x": v, str(last): interesting(rng)}
            touched.append(dotted)
        else:  # duplicate a whole table under another name, or nest it
            if isinstance(v, dict) and isinstance(parent, dict):
                parent[rng.choice(["copy", str(last)])] = {str(last): copy.deepcopy(v)}
    return touched


# --- text and bytes ---------------------------------------------------------------------

def mutate_text(rng, text):
    """Line-level damage to a text file (TOML, CSV, traces)."""
    lines = text.split("\n")
    op = rng.randrange(9)
    i = rng.randrange(len(lines)) if lines else 0
    if op == 0 and lines:
        lines.insert(i, lines[i])  # duplicate a line (duplicate keys / tables)
    elif op == 1 and lines:
        del lines[i]
    elif op == 2:
        lines.insert(i, rng.choice(["[", "[[x]]", "=", "a = ", "key = \"unterminated",
                                    "[dram", "]]", "a.b.c = 1", "\"\" = 1", "x = 1 2",
                                    "x = 0x", "x = 1_000_", "x = 1979-05-27T07:32:00Z"]))
    elif op == 3:
        return text[: rng.randrange(len(text) + 1)]  # truncate
    elif op == 4:
        return text.replace("\n", "\r\n")
    elif op == 5 and lines:
        lines[i] = lines[i] + rng.choice([" # c", "\t", " x", ",", "\u00a0"])
    elif op == 6:
        return text.replace("=", rng.choice(["==", ":", " = = "]), 1)
    elif op == 7 and lines:
        lines[i] = lines[i].replace(" ", "", 1)
    else:
        lines.insert(i, "x" * rng.choice([100, 10000, 100000]))
    return "\n".join(lines)


def mutate_bytes(rng, data, n=None):
    """Byte-level damage: flips, junk, truncation, zeroed blocks."""
    b = bytearray(data)
    for _ in range(n or rng.choice([1, 1, 2, 4, 16])):
        op = rng.randrange(6)
        if not b:
            b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
            continue
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
        elif op == 2:
            del b[i:]
        elif op == 3:
            j = min(len(b), i + rng.choice([8, 64, 512, 4096]))
            b[i:j] = bytes(j - i)
        elif op == 4:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 8, 100])))
        else:
            b[i:i] = b"\xff\xfe\x00\xc3\x28\xed\xa0\x80"  # invalid UTF-8 and NUL
    return bytes(b)


def dumps(tree):
    return tomlw.dumps(tree)
