package vm

import "testing"

func TestGuestfwdRules(t *testing.T) {
	tests := []struct {
		name string
		in   []GuestForward
		want string
		ok   bool
	}{
		{"none", nil, "", true},
		{"one", []GuestForward{{Addr: "10.0.2.100:8700", Command: []string{"/bin/agent", "-relay", "127.0.0.1:8701"}}},
			",guestfwd=tcp:10.0.2.100:8700-cmd:'/bin/agent' '-relay' '127.0.0.1:8701'", true},
		{"comma doubled", []GuestForward{{Addr: "10.0.2.100:1", Command: []string{"/x", "a,b"}}},
			",guestfwd=tcp:10.0.2.100:1-cmd:'/x' 'a,,b'", true},
		{"name, not address", []GuestForward{{Addr: "service:8700", Command: []string{"/x"}}}, "", false},
		{"no command", []GuestForward{{Addr: "10.0.2.100:8700"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := guestfwdRules(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("guestfwdRules = %q, %v; want %q, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}
