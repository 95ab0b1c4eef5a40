print("plc-bench: under construction")
