"""Small pure building blocks shared by every layer: time, ids, timestamps."""
