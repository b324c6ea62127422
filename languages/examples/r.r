cat("What is your name? ")
name <- readLines(file("stdin"), n = 1)
cat("Hello, ", name, "!\n", sep = "")
