print "What is your name? "
$stdout.flush
name = gets&.chomp
puts "Hello, #{name}!"
