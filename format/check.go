package format

import (
	"fmt"
	"reflect"
	"unsafe"
)

// maxPrintDepth bounds how deep checkPrintable follows a value.
const maxPrintDepth = 10000

// checkPrintable reports an error for a value that fmt's %+v would follow
// without end: a map or slice that contains itself (fmt has no cycle
// check, and such a value would crash the program with a stack overflow),
// or one nested deeper than maxPrintDepth. It follows values as fmt does:
// through maps, slices, arrays, struct fields and interfaces, through a
// pointer only at the top, and not into values with a Format, Error or
// String method.
func checkPrintable(a any) error {
	if hasPrintMethod(a) {
		return nil
	}
	v := reflect.ValueOf(a)
	k := v.Kind()
	if k == reflect.Pointer && !v.IsNil() {
		k = v.Elem().Kind()
	}
	switch k {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
	default:
		return nil
	}
	var arr [8]unsafe.Pointer
	w := walker{path: arr[:0]}
	if w.endless(v, 0) {
		if w.deep {
			return fmt.Errorf("value of type %T is nested deeper than %d levels", a, maxPrintDepth)
		}
		return fmt.Errorf("value of type %T contains itself", a)
	}
	return nil
}

type walker struct {
	path []unsafe.Pointer // maps and slices being printed, outermost first
	deep bool
}

func hasPrintMethod(x any) bool {
	switch x.(type) {
	case fmt.Formatter, error, fmt.Stringer:
		return true
	}
	return false
}

func (w *walker) endless(v reflect.Value, depth int) bool {
	if !v.IsValid() {
		return false
	}
	if depth > maxPrintDepth {
		w.deep = true
		return true
	}
	if v.CanInterface() && hasPrintMethod(v.Interface()) {
		return false
	}
	switch v.Kind() {
	case reflect.Interface:
		return w.endless(v.Elem(), depth+1)
	case reflect.Pointer:
		if depth == 0 && !v.IsNil() {
			switch el := v.Elem(); el.Kind() {
			case reflect.Array, reflect.Slice, reflect.Struct, reflect.Map:
				return w.endless(el, depth+1)
			}
		}
		return false
	case reflect.Struct:
		for i := range v.NumField() {
			if w.endless(v.Field(i), depth+1) {
				return true
			}
		}
		return false
	case reflect.Array:
		if !mayNest(v.Type().Elem()) {
			return false
		}
		for i := range v.Len() {
			if w.endless(v.Index(i), depth+1) {
				return true
			}
		}
		return false
	case reflect.Slice:
		if v.Len() == 0 || !mayNest(v.Type().Elem()) {
			return false
		}
		if w.enter(v.UnsafePointer()) {
			return true
		}
		defer w.leave()
		for i := range v.Len() {
			if w.endless(v.Index(i), depth+1) {
				return true
			}
		}
		return false
	case reflect.Map:
		if v.Len() == 0 || (!mayNest(v.Type().Key()) && !mayNest(v.Type().Elem())) {
			return false
		}
		if w.enter(v.UnsafePointer()) {
			return true
		}
		defer w.leave()
		it := v.MapRange()
		for it.Next() {
			if w.endless(it.Key(), depth+1) || w.endless(it.Value(), depth+1) {
				return true
			}
		}
		return false
	}
	return false
}

// enter pushes p on the path, reporting whether it already is on it.
func (w *walker) enter(p unsafe.Pointer) bool {
	for _, q := range w.path {
		if q == p {
			return true
		}
	}
	w.path = append(w.path, p)
	return false
}

func (w *walker) leave() { w.path = w.path[:len(w.path)-1] }

// mayNest reports whether values of type t can hold other values that fmt
// prints.
func mayNest(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		return true
	}
	return false
}
