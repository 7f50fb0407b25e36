"""Small pure building blocks shared by every layer: time, ids, cursors, paging, text, counts."""
