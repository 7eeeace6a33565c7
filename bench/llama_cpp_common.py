"""What the llama.cpp scripts under bench/ share: quiet logs and one llama_decode call."""
import sys

import llama_cpp as L


def silence_logs():
    """Stops llama.cpp's log output; keep the returned callback alive while llama.cpp runs."""
    callback = L.llama_log_callback(lambda level, text, data: None)
    L.llama_log_set(callback, None)
    return callback


def decode(context, batch, tokens, start):
    """One llama_decode of consecutive tokens at positions start…; logits for the last one only
    (they stay in llama.cpp's buffer)."""
    batch.n_tokens = len(tokens)
    for i, token in enumerate(tokens):
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, start + i, 1
        batch.seq_id[i][0] = 0
        batch.logits[i] = i == len(tokens) - 1
    if L.llama_decode(context, batch) != 0:
        sys.exit("llama_decode failed")
