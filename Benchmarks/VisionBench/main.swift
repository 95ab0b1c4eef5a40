print("vision-bench: under construction")
