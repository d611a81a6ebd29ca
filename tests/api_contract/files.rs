//! Files through the blocking pool: `corio::fs`, std's shapes.

use super::*;
use corio::fs::{DirEntry, File, FileType, Metadata, OpenOptions, Permissions, ReadDir};
use std::ffi::OsString;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
    corio::fs::read(path)
}

pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
    corio::fs::read_to_string(path)
}

pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    corio::fs::write(path, contents)
}

pub fn create_dir<P: AsRef<Path>>(path: P) -> io::Result<()> {
    corio::fs::create_dir(path)
}

pub fn create_dir_all<P: AsRef<Path>>(path: P) -> io::Result<()> {
    corio::fs::create_dir_all(path)
}

pub fn remove_file<P: AsRef<Path>>(path: P) -> io::Result<()> {
    corio::fs::remove_file(path)
}

pub fn remove_dir<P: AsRef<Path>>(path: P) -> io::Result<()> {
    corio::fs::remove_dir(path)
}

pub fn remove_dir_all<P: AsRef<Path>>(path: P) -> io::Result<()> {
    corio::fs::remove_dir_all(path)
}

pub fn rename<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<()> {
    corio::fs::rename(from, to)
}

pub fn copy<P: AsRef<Path>, Q: AsRef<Path>>(from: P, to: Q) -> io::Result<u64> {
    corio::fs::copy(from, to)
}

pub fn metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
    corio::fs::metadata(path)
}

pub fn symlink_metadata<P: AsRef<Path>>(path: P) -> io::Result<Metadata> {
    corio::fs::symlink_metadata(path)
}

pub fn canonicalize<P: AsRef<Path>>(path: P) -> io::Result<PathBuf> {
    corio::fs::canonicalize(path)
}

pub fn read_dir<P: AsRef<Path>>(path: P) -> io::Result<ReadDir> {
    corio::fs::read_dir(path)
}

pub fn open<P: AsRef<Path>>(path: P) -> io::Result<File> {
    File::open(path)
}

pub fn create<P: AsRef<Path>>(path: P) -> io::Result<File> {
    File::create(path)
}

pub fn create_new<P: AsRef<Path>>(path: P) -> io::Result<File> {
    File::create_new(path)
}

pub fn open_with<P: AsRef<Path>>(options: &OpenOptions, path: P) -> io::Result<File> {
    options.open(path)
}

pub fn methods() {
    let _: fn() -> OpenOptions = File::options;
    let _: fn(&File) -> io::Result<()> = File::sync_all;
    let _: fn(&File) -> io::Result<()> = File::sync_data;
    let _: fn(&File, u64) -> io::Result<()> = File::set_len;
    let _: fn(&File) -> io::Result<Metadata> = File::metadata;
    let _: fn(&File, Permissions) -> io::Result<()> = File::set_permissions;
    let _: fn(&File) -> io::Result<File> = File::try_clone;
    let _: fn(std::fs::File) -> File = File::from;
    fn read_write_seek<T: Read + Write + Seek>() {}
    read_write_seek::<File>();
    read_write_seek::<&File>();
    assert_fd::<File>();
    assert_debug::<File>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<File>();
    let _ = SeekFrom::Start(0);

    let _: fn() -> OpenOptions = OpenOptions::new;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::read;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::write;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::append;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::truncate;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::create;
    let _: fn(&mut OpenOptions, bool) -> &mut OpenOptions = OpenOptions::create_new;
    let _: fn(&mut OpenOptions, u32) -> &mut OpenOptions = OpenOptions::mode;
    let _: fn(std::fs::OpenOptions) -> OpenOptions = OpenOptions::from;
    fn clone_debug_default<T: Clone + Debug + Default>() {}
    clone_debug_default::<OpenOptions>();

    assert_iterator::<ReadDir, io::Result<DirEntry>>();
    assert_debug::<ReadDir>();
    let _: fn(&DirEntry) -> PathBuf = DirEntry::path;
    let _: fn(&DirEntry) -> OsString = DirEntry::file_name;
    let _: fn(&DirEntry) -> FileType = DirEntry::file_type;
    let _: fn(&DirEntry) -> io::Result<Metadata> = DirEntry::metadata;
    fn clone_debug<T: Clone + Debug>() {}
    clone_debug::<DirEntry>();
    // std's own metadata types, re-exported.
    let _: fn(&Metadata) -> u64 = std::fs::Metadata::len;
    let _: fn(&Permissions) -> bool = std::fs::Permissions::readonly;
    let _: fn(&FileType) -> bool = std::fs::FileType::is_dir;
}
