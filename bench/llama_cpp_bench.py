"""pp/tg of llama.cpp (through llama-cpp-python's low-level API) in llama-bench's terms.

Mirrors llama-bench's test_prompt / test_gen: random tokens (BOS first), an empty KV cache per
run, one warm-up run, then REPS measured runs; pp asks for the last token's logits only, tg
decodes single tokens with logits on. Logits stay in llama.cpp's buffer: nothing is copied into
Python. Prints rows of the same markdown table `edtriage bench model` prints, then the time to
evaluate a triage-shaped prompt cold and with its shared prefix cached.

usage: llama_cpp_bench.py MODEL THREADS [PROMPT GENERATE REPS]
"""
import random
import statistics
import sys
import time

import llama_cpp as L
from llama_cpp_common import decode as decode_batch, silence_logs


def main():
    path, threads = sys.argv[1], int(sys.argv[2])
    prompt, generate, reps = (int(a) for a in (sys.argv[3:6] + ["512", "128", "5"][len(sys.argv[3:6]):]))
    L.llama_backend_init()
    quiet = silence_logs()  # noqa: F841 (kept alive: llama.cpp calls it later)
    model = L.llama_model_load_from_file(path.encode(), L.llama_model_default_params())
    params = L.llama_context_default_params()
    params.n_ctx = params.n_batch = params.n_ubatch = max(prompt, generate, 600)
    params.n_threads = params.n_threads_batch = threads
    context = L.llama_init_from_model(model, params)
    vocab = L.llama_model_get_vocab(model)
    n_vocab, bos = L.llama_vocab_n_tokens(vocab), L.llama_vocab_bos(vocab)
    batch = L.llama_batch_init(max(prompt, generate, 600), 0, 1)

    def decode(tokens, start):
        decode_batch(context, batch, tokens, start)

    def pp():
        decode([bos] + [random.randrange(n_vocab) for _ in range(prompt - 1)], 0)

    def tg():
        token = bos
        for position in range(generate):
            decode([token], position)
            token = random.randrange(n_vocab)

    def rates(test, tokens):
        result = []
        for _ in range(reps + 1):
            L.llama_memory_clear(L.llama_get_memory(context), True)
            start = time.perf_counter()
            test()
            L.llama_synchronize(context)
            result.append(tokens / (time.perf_counter() - start))
        return result[1:]

    def triage_prompt(prefix=500, suffix=100):
        """A 600-token prompt whose first 500 tokens are shared: the best of REPS cold runs (empty
        cache) and of REPS runs that keep the prefix in the cache and decode only the rest, as
        `edtriage bench model` reports it. llama.cpp computes the last token's full logits."""
        memory = L.llama_get_memory(context)
        head = [bos] + [random.randrange(n_vocab) for _ in range(prefix - 1)]
        tail = [random.randrange(n_vocab) for _ in range(suffix)]
        cold, warm = [], []
        for _ in range(reps + 1):
            L.llama_memory_clear(memory, True)
            start = time.perf_counter()
            decode(head + tail, 0)
            L.llama_synchronize(context)
            cold.append(time.perf_counter() - start)
        L.llama_memory_clear(memory, True)
        decode(head, 0)
        for _ in range(reps + 1):
            L.llama_memory_seq_rm(memory, 0, prefix, -1)
            start = time.perf_counter()
            decode(tail, prefix)
            L.llama_synchronize(context)
            warm.append(time.perf_counter() - start)
        return min(cold[1:]), min(warm[1:])

    size = L.llama_model_size(model) / 1048576
    params_m = L.llama_model_n_params(model) / 1e6
    for name, test, tokens in ((f"pp{prompt}", pp, prompt), (f"tg{generate}", tg, generate)):
        r = rates(test, tokens)
        sd = statistics.stdev(r) if len(r) > 1 else 0.0
        print(f"| llama.cpp {L.__version__} | {size:.2f} MiB | {params_m:.2f} M | CPU | {threads} | {name} | "
              f"{statistics.mean(r):.2f} ± {sd:.2f} |", flush=True)
    cold, warm = triage_prompt()
    print(f"\n600-token prompt, 500-token shared prefix: cold {cold * 1000:.1f} ms, "
          f"prefix cached {warm * 1000:.1f} ms ({cold / warm:.2f} × faster)")
    L.llama_batch_free(batch)
    L.llama_free(context)
    L.llama_model_free(model)


if __name__ == "__main__":
    main()
