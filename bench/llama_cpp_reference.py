"""How closely does llama.cpp itself, built here, reproduce ../shared/reference/gemma-3-270m?

Replays every reference prompt through llama-cpp-python's low-level API with the settings the
reference README names (CPU, n_ctx 4096, full-size sliding-window cache, the whole prompt in one
llama_decode) and prints, per record, the largest |Δlogit| over the reference's top 40 and how
many of the 32 greedy tokens agree. Flash attention: auto (llama.cpp's default), on or off.

usage: python bench/llama_cpp_reference.py MODEL REFERENCE_DIR [THREADS] [auto|on|off]
"""
import json
import sys

import llama_cpp as L
from llama_cpp_common import decode as decode_batch, silence_logs

FLASH_ATTENTION = {"auto": L.LLAMA_FLASH_ATTN_TYPE_AUTO, "on": L.LLAMA_FLASH_ATTN_TYPE_ENABLED,
                   "off": L.LLAMA_FLASH_ATTN_TYPE_DISABLED}
CONTEXT = 4096


def main():
    model_path, reference = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    flash_attention = sys.argv[4] if len(sys.argv) > 4 else "auto"
    L.llama_backend_init()
    quiet = silence_logs()  # noqa: F841 (kept alive: llama.cpp calls it later)
    model = L.llama_model_load_from_file(model_path.encode(), L.llama_model_default_params())
    n_vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))
    batch = L.llama_batch_init(CONTEXT, 0, 1)

    def new_context():
        params = L.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = CONTEXT
        params.n_threads = params.n_threads_batch = threads
        params.flash_attn_type = FLASH_ATTENTION[flash_attention]
        params.swa_full = True
        return L.llama_init_from_model(model, params)

    def decode(context, tokens, start):
        """Logits of the last of `tokens`, decoded at positions start… in one llama_decode."""
        decode_batch(context, batch, tokens, start)
        logits = L.llama_get_logits_ith(context, len(tokens) - 1)
        return [logits[i] for i in range(n_vocab)]

    def argmax(logits):
        return max(range(len(logits)), key=logits.__getitem__)

    print(f"llama.cpp {L.__version__}, {threads} threads, flash attention {flash_attention}")
    with open(f"{reference}/logits.jsonl") as records:
        for n, record in enumerate(map(json.loads, records)):
            context = new_context()
            logits = decode(context, record["ids"], 0)
            gap = max(abs(logits[token] - value) for token, value in record["top40"])
            same_top = argmax(logits) == record["top40"][0][0]
            print(f"logits {n} ({len(record['ids'])} tokens): max |Δ| over top 40 {gap:.4f}, same argmax {same_top}")
            L.llama_free(context)
    identical = 0
    with open(f"{reference}/greedy.jsonl") as records:
        for n, record in enumerate(map(json.loads, records)):
            context = new_context()
            logits, position, tokens = decode(context, record["ids"], 0), len(record["ids"]), []
            for _ in record["greedy32"]:
                tokens.append(argmax(logits))
                logits = decode(context, tokens[-1:], position)
                position += 1
            agreed = next((i for i, (a, b) in enumerate(zip(tokens, record["greedy32"])) if a != b), len(tokens))
            identical += agreed == len(tokens)
            print(f"greedy {n} ({len(record['ids'])} tokens): {agreed} of {len(tokens)} agree")
            L.llama_free(context)
    print(f"identical greedy continuations: {identical} of {n + 1}")
    L.llama_batch_free(batch)
    L.llama_model_free(model)


if __name__ == "__main__":
    main()
