program hello
  character(len=100) :: name
  write (*, '(a)', advance='no') 'What is your name? '
  read (*, '(a)') name
  print '(3a)', 'Hello, ', trim(name), '!'
end program hello
