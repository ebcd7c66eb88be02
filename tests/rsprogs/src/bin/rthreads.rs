//! Rust std threads on the trampoline: spawn and join, Arc<Mutex>, a
//! channel, thread::sleep, scoped threads and a named thread (the
//! workspace builds with panic=abort, so a panicking thread ends the
//! process). Prints what it checked, then "rthreads done".
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let total = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..4u64)
        .map(|i| {
            let total = total.clone();
            thread::spawn(move || {
                for k in 0..5000 {
                    *total.lock().unwrap() += 1;
                    if k % 500 == 0 {
                        thread::yield_now();
                    }
                }
                i * 10
            })
        })
        .collect();
    let rets: Vec<u64> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    println!("rthreads: joined {:?}, total {}", rets, *total.lock().unwrap());

    let (tx, rx) = mpsc::channel();
    for id in 0..3 {
        let tx = tx.clone();
        thread::spawn(move || {
            for n in 0..100 {
                tx.send(id * 1000 + n).unwrap();
            }
        });
    }
    drop(tx);
    let got: Vec<u32> = rx.iter().collect();
    println!("rthreads: channel got {} messages, sum {}", got.len(), got.iter().map(|&x| x as u64).sum::<u64>());

    let t0 = Instant::now();
    thread::spawn(|| thread::sleep(Duration::from_millis(30))).join().unwrap();
    println!("rthreads: slept >= 30 ms: {}", t0.elapsed() >= Duration::from_millis(30));

    let mut v = vec![1u64, 2, 3, 4];
    thread::scope(|s| {
        for x in v.iter_mut() {
            s.spawn(move || *x *= 10);
        }
    });
    println!("rthreads: scoped {:?}", v);

    let name = thread::Builder::new().name("worker".into()).spawn(|| thread::current().name().map(String::from)).unwrap();
    println!("rthreads: named thread {:?}", name.join().unwrap());
    println!("rthreads done");
}
