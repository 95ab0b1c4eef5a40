print("retail-bench: not yet")
