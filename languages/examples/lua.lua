io.write("What is your name? ")
io.flush()
local name = io.read("l") or ""
print("Hello, " .. name .. "!")
