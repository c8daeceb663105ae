print("specsync")
