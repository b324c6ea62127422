# Welcome to coderoom: this program runs on the server, live.
import time

name = input("What's your name? ")
print(f"Hello, {name}! Counting down...")
for i in range(3, 0, -1):
    print(i)
    time.sleep(0.5)

# A progress bar drawn with \r and colours.
for step in range(41):
    bar = "\033[32m" + "#" * step + "\033[0m" + "." * (40 - step)
    print(f"\r[{bar}] {step * 100 // 40:3d}%", end="", flush=True)
    time.sleep(0.05)
print("\nDone.")
