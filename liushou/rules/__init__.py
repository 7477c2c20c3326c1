"""Pure domain rules: plain values in, plain values out. No Flask, no database."""
